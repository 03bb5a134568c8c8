"""run_python()'s children are leak-checked too: a child that runs to its end with a green thread
still parked fails the test, naming it (tests/leakcheck.py)."""

import pytest

from integ_support import run_python

pytestmark = pytest.mark.one_backend


def test_a_child_that_leaves_a_green_thread_parked_fails_naming_it():
    with pytest.raises(pytest.fail.Exception) as info:
        run_python("""
            import fasthub
            never = fasthub.Event()
            fasthub.spawn(never.wait)
            fasthub.sleep(0)
            print("body done")
        """)
    text = str(info.value)
    assert "child python exited 3" in text and "body done" in text, text
    assert "the child process left things behind in fasthub's hubs" in text, text
    assert "the main thread's hub" in text and "1 green thread(s) parked" in text, text


def test_a_child_that_cleans_up_passes():
    out = run_python("""
        import fasthub
        never = fasthub.Event()
        gt = fasthub.spawn(never.wait)
        fasthub.sleep(0)
        gt.kill()
        print("clean")
    """)
    assert out.strip() == "clean"
