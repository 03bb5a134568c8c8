"""Django 5 served by fasthub three ways, on PostgreSQL through psycopg 3 and Django's psycopg pool:
the ORM, 100 concurrent requests each waiting 0.2 s in the database with the number of backend
connections bounded, and manage.py (migrate, a custom command) under ``python -m fasthub``."""

import json
import subprocess
import sys
import threading
import time
import uuid

import pytest

from apps_support import HERE, WAYS, child_env, concurrently, need, serve

pytestmark = pytest.mark.one_backend

POOL_MAX = 20   # connections per process (djsite.settings: DJSITE_POOL_MAX)


def manage(env, *args, timeout=60):
    """Run ``python -m fasthub manage.py *args`` in tests/apps; return its stdout (fails on error)."""
    proc = subprocess.run([sys.executable, "-m", "fasthub", "manage.py", *args], cwd=HERE,
                          env=child_env(env), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n"
                    f"{proc.stderr}", pytrace=False)
    return proc.stdout


@pytest.fixture(scope="module")
def db(pg_dsn):
    """A fresh schema, migrated by ``python -m fasthub manage.py migrate``; dropped afterwards."""
    need("django")
    need("psycopg_pool")
    psycopg = need("psycopg")
    schema = f"fasthub_apps_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(pg_dsn, autocommit=True)
    admin.execute(f"CREATE SCHEMA {schema}")
    env = {"FASTHUB_TEST_PG_DSN": pg_dsn, "DJSITE_SCHEMA": schema,
           "DJSITE_POOL_MAX": str(POOL_MAX)}
    try:
        migrated = manage(env, "migrate", "--noinput")
        yield {"env": env, "dsn": pg_dsn, "schema": schema, "admin": admin,
               "migrate_output": migrated}
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@pytest.fixture(scope="module", params=WAYS)
def site(request, db):
    app_name = f"djsite-{request.param}-{uuid.uuid4().hex[:8]}"
    env = dict(db["env"], DJSITE_APP_NAME=app_name)
    for served in serve(request.param, "djsite.wsgi:application", env=env):
        served.app_name = app_name
        yield served


def test_migrate_created_the_table(db):
    assert "Applying djsite.0001_initial... OK" in db["migrate_output"], db["migrate_output"]
    rows = db["admin"].execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = 'djsite_note' ORDER BY column_name",
        [db["schema"]]).fetchall()
    assert [r[0] for r in rows] == ["created", "id", "text"]
    assert "No migrations to apply" in manage(db["env"], "migrate", "--noinput")


def test_custom_management_command_runs_green(db):
    # 20 threads each wait 0.2 s in PostgreSQL on their own connection: under python -m fasthub
    # they are green threads of one OS thread, and they overlap (serially: 4 s).
    out = manage(db["env"], "notes_report", "--add", "from the command", "--threads", "20",
                 "--sleep", "0.2")
    report = json.loads(out.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["os_threads"] == 1, report
    assert 1 <= report["backends"] <= POOL_MAX, report
    assert report["elapsed"] < 2.0, report
    count = db["admin"].execute(
        f"SELECT count(*) FROM {db['schema']}.djsite_note WHERE text = 'from the command'")
    assert count.fetchone()[0] >= 1


def test_orm_round_trip(site):
    requests = need("requests")
    tag = f"{site.way}-{uuid.uuid4().hex[:6]}-"

    def create(i):
        r = requests.post(f"{site.url}/notes", data={"text": f"{tag}{i}"}, timeout=30)
        assert r.status_code == 201, r.text
        return r.json()["id"]
    ids, _ = concurrently(create, 50)
    assert len(set(ids)) == 50
    for i in (0, 17, 49):
        assert requests.get(f"{site.url}/notes/{ids[i]}", timeout=10).json() == \
            {"id": ids[i], "text": f"{tag}{i}"}
    assert requests.get(f"{site.url}/notes", params={"prefix": tag}, timeout=10).json() == \
        {"count": 50}
    assert requests.get(f"{site.url}/notes/{max(ids) + 1000}", timeout=10).status_code == 404


def test_concurrent_queries_with_bounded_connections(site, db):
    requests = need("requests")
    admin = db["admin"]
    max_connections = int(admin.execute("SHOW max_connections").fetchone()[0])
    bound = site.workers * POOL_MAX
    assert bound <= max_connections // 4, "the corpus would crowd the shared test server"

    # Count this site's backends in pg_stat_activity while the burst runs.
    samples, done = [], threading.Event()

    def sample():
        import psycopg
        with psycopg.connect(db["dsn"], autocommit=True) as c:
            while not done.is_set():
                samples.append(c.execute("SELECT count(*) FROM pg_stat_activity"
                                         " WHERE application_name = %s",
                                         [site.app_name]).fetchone()[0])
                time.sleep(0.02)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        def query(i):
            r = requests.get(f"{site.url}/db-sleep", params={"s": "0.2"}, timeout=30)
            assert r.status_code == 200, r.text
            return r.json()
        results, elapsed = concurrently(query, 100)
    finally:
        done.set()
        sampler.join()
    per_worker = {}
    for r in results:
        per_worker.setdefault(r["worker"], set()).add(r["backend"])
    assert len(per_worker) <= site.workers
    for worker, backends in per_worker.items():
        assert len(backends) <= POOL_MAX, (worker, len(backends))
    assert max(samples) <= bound, f"{max(samples)} connections, more than {bound}"
    assert max(samples) >= 2, samples   # the queries did overlap
    assert elapsed < 5.0, f"100 requests took {elapsed:.1f}s: not concurrent"
