"""monkey_patch() makes the C database drivers green, whichever is imported first (own process)."""

from integ_support import need, run_python


def test_monkey_patch_patches_drivers_imported_later(pg_dsn):
    need("psycopg")
    need("psycopg2")
    out = run_python("""
        import sys, time
        import fasthub
        fasthub.monkey_patch()
        assert "psycopg" not in sys.modules and "psycopg2" not in sys.modules
        import psycopg, psycopg2
        from fasthub.integrations import psycopg as p3, psycopg2 as p2
        assert p3.is_patched() and p2.is_patched()
        assert psycopg.__loader__.__class__.__name__ != "_AfterExec"
        dsn = sys.argv[1]

        def q3(i):
            with psycopg.connect(dsn) as c:
                return c.execute("SELECT pg_sleep(0.3), %s::int", (i,)).fetchone()[1]

        def q2(i):
            c = psycopg2.connect(dsn)
            cur = c.cursor()
            cur.execute("SELECT pg_sleep(0.3), %s", (i,))
            try:
                return cur.fetchone()[1]
            finally:
                c.close()

        t0 = time.monotonic()
        gts = [fasthub.spawn(q, i) for i in range(10) for q in (q2, q3)]
        res = [g.wait() for g in gts]
        elapsed = time.monotonic() - t0
        assert res == [i for i in range(10) for _ in (0, 1)], res
        assert elapsed < 2.0, elapsed   # 6 s if serialised
        print("ok")
    """, args=[pg_dsn])
    assert out.strip() == "ok"


def test_monkey_patch_patches_drivers_imported_before():
    need("psycopg")
    need("psycopg2")
    out = run_python("""
        import warnings
        import psycopg2, psycopg
        import fasthub
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # late patching warns about psycopg's own imports
            fasthub.monkey_patch()
        from fasthub.integrations import psycopg as p3, psycopg2 as p2
        print(p3.is_patched(), p2.is_patched())
    """)
    assert out.split() == ["True", "True"]


def test_monkey_patch_without_socket_leaves_drivers_alone():
    need("psycopg2")
    out = run_python("""
        import fasthub
        fasthub.monkey_patch(socket=False)
        import psycopg2.extensions
        print(psycopg2.extensions.get_wait_callback())
    """)
    assert out.strip() == "None"
