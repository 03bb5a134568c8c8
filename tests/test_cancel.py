"""Cancel scopes: move_on_after, fail_after and CancelScope over every kind of wait, nesting, shields,
Timeout, and cancellation from other green threads and OS threads."""

import threading
import time

import pytest
from greenlet import GreenletExit

import fasthub
from fasthub import CancelScope, Cancelled, fail_after, move_on_after
from fasthub.core._cancel import current_scopes


@pytest.fixture(autouse=True)
def no_scope_left(hub):
    yield
    assert hub.scoped == {}, f"cancel-scope state left behind: {hub.scoped!r}"


def _pair():
    srv = fasthub.listen(("127.0.0.1", 0))
    client = fasthub.connect(srv.getsockname())
    conn, _ = srv.accept()
    srv.close()
    return client, conn


def _forever_lock():
    lock = fasthub.Lock()
    lock.acquire()
    return lambda: lock.acquire(), lambda: lock.waiting() == 0 and lock.locked()


def _forever_queue():
    q = fasthub.Queue()
    return q.get, lambda: q.getting() == 0


def _forever_full_queue():
    q = fasthub.Queue(1)
    q.put(0)
    return lambda: q.put(1), lambda: q.putting() == 0 and q.qsize() == 1


def _forever_event():
    ev = fasthub.Event()
    return ev.wait, lambda: True


def _forever_semaphore():
    sem = fasthub.Semaphore(0)
    return sem.acquire, lambda: sem.counter == 0


def _forever_condition():
    cond = fasthub.Condition()

    def wait():
        with cond:
            cond.wait()
    return wait, lambda: not cond._lock.locked() if hasattr(cond, "_lock") else True


def _forever_join():
    gt = fasthub.spawn(fasthub.sleep, 30)
    return gt.wait, lambda: (gt.kill() or True)


def _forever_recv():
    a, b = _pair()

    def check():
        b.sendall(b"x")   # the socket still works after the cancelled recv
        ok = a.recv(1) == b"x"
        a.close()
        b.close()
        return ok
    return lambda: a.recv(10), check


def _forever_sleep():
    return lambda: fasthub.sleep(30), lambda: True


def _forever_tpool():
    release = threading.Event()
    return lambda: fasthub.tpool.execute(release.wait, 30), lambda: release.set() or True


WAITS = {"sleep": _forever_sleep, "socket recv": _forever_recv, "Lock": _forever_lock,
         "Queue.get": _forever_queue, "Queue.put": _forever_full_queue, "Event": _forever_event,
         "Semaphore": _forever_semaphore, "Condition": _forever_condition, "join": _forever_join,
         "tpool": _forever_tpool}


@pytest.mark.parametrize("kind", sorted(WAITS))
def test_move_on_after_interrupts_every_kind_of_wait(kind):
    block, consistent = WAITS[kind]()
    t0 = time.monotonic()
    with move_on_after(0.05) as scope:
        block()
        raise AssertionError("the blocking call returned")
    elapsed = time.monotonic() - t0
    assert scope.cancelled_caught and scope.cancel_called
    assert 0.04 <= elapsed < 1.0, elapsed
    assert consistent()


@pytest.mark.parametrize("kind", ["sleep", "socket recv", "Lock", "Queue.get", "join"])
def test_fail_after_raises_timeout_error(kind):
    block, consistent = WAITS[kind]()
    with pytest.raises(TimeoutError, match="fail_after"):
        with fail_after(0.03):
            block()
    assert consistent()


def test_nothing_happens_when_the_block_finishes_in_time():
    with fail_after(1) as a, move_on_after(1) as b:
        fasthub.sleep(0.01)
    assert not (a.cancel_called or a.cancelled_caught or b.cancel_called or b.cancelled_caught)
    assert current_scopes() == []
    fasthub.sleep(1.1)  # their timers were cancelled: nothing fires later


def test_deadline_already_passed_raises_at_the_first_wait_without_waiting():
    t0 = time.monotonic()
    with CancelScope(deadline=fasthub.monotonic() - 1) as scope:
        fasthub.sleep(5)
    assert scope.cancelled_caught and time.monotonic() - t0 < 0.5


def test_cancel_from_another_green_thread_wakes_the_parked_one():
    scope = CancelScope()
    got = []

    def worker():
        with scope:
            got.append("in")
            fasthub.Event().wait()
        got.append(scope.cancelled_caught)

    gt = fasthub.spawn(worker)
    fasthub.sleep(0.01)
    scope.cancel()
    scope.cancel()   # idempotent
    gt.wait()
    assert got == ["in", True]


def test_cancel_from_another_os_thread():
    scope = CancelScope()
    t = threading.Timer(0.05, scope.cancel)
    t.start()
    t0 = time.monotonic()
    with scope:
        fasthub.sleep(5)
    t.join()
    assert scope.cancelled_caught and time.monotonic() - t0 < 2


def test_once_cancelled_every_blocking_call_in_the_scope_raises():
    calls = []
    with move_on_after(0.02) as scope:
        try:
            fasthub.sleep(5)
        except Cancelled:
            calls.append("first")
        try:
            fasthub.sleep(0)   # even sleep(0) is a blocking call: it raises at once
        except Cancelled:
            calls.append("second")
        fasthub.Event().wait()
    assert calls == ["first", "second"] and scope.cancelled_caught


def test_a_call_that_does_not_block_still_works_in_a_cancelled_scope():
    lock = fasthub.Lock()
    q = fasthub.Queue()
    q.put(1)
    with CancelScope() as scope:
        scope.cancel()
        assert lock.acquire() and q.get() == 1   # no wait, no Cancelled
        lock.release()
        fasthub.sleep(0)
    assert scope.cancelled_caught


def test_inner_deadline_first_the_inner_scope_catches():
    with move_on_after(5) as outer:
        with move_on_after(0.02) as inner:
            fasthub.sleep(5)
        fasthub.sleep(0.01)   # the outer scope is not cancelled
    assert inner.cancelled_caught and not outer.cancel_called and not outer.cancelled_caught


def test_outer_deadline_first_passes_through_the_inner_scope():
    reached = []
    with move_on_after(0.02) as outer:
        with move_on_after(5) as inner:
            fasthub.sleep(5)
        reached.append("after inner")   # not reached: the Cancelled belongs to the outer scope
    assert reached == [] and outer.cancelled_caught and not inner.cancelled_caught
    assert not inner.cancel_called


def test_both_cancelled_the_outermost_catches():
    with CancelScope() as outer:
        with CancelScope() as inner:
            inner.cancel()
            outer.cancel()
            fasthub.sleep(1)
    assert outer.cancelled_caught and not inner.cancelled_caught


def test_shield_hides_the_outer_cancellation_until_it_is_left():
    steps = []
    with move_on_after(0.02) as outer:
        with CancelScope(shield=True) as shielded:
            fasthub.sleep(0.06)   # runs in full though the outer deadline passes
            steps.append("shielded sleep done")
        assert outer.cancel_called
        fasthub.sleep(5)          # raises at once
        steps.append("unreachable")
    assert steps == ["shielded sleep done"]
    assert outer.cancelled_caught and not shielded.cancel_called


def test_removing_the_shield_wakes_the_parked_green_thread():
    outer = CancelScope()
    inner = CancelScope(shield=True)
    done = []

    def worker():
        with outer:
            with inner:
                fasthub.sleep(5)
        done.append(outer.cancelled_caught)

    gt = fasthub.spawn(worker)
    fasthub.sleep(0.01)
    outer.cancel()
    fasthub.sleep(0.02)
    assert done == []          # shielded
    inner.shield = False
    gt.wait()
    assert done == [True]


def test_moving_the_deadline_while_inside():
    scope = move_on_after(0.05)

    def extend():
        fasthub.sleep(0.02)
        scope.deadline = fasthub.monotonic() + 0.15

    fasthub.spawn(extend)
    t0 = time.monotonic()
    with scope:
        fasthub.sleep(5)
    elapsed = time.monotonic() - t0
    assert scope.cancelled_caught and 0.14 <= elapsed < 1.0, elapsed
    assert move_on_after(None).deadline is None


def test_timeout_inside_a_scope_is_independent():
    with move_on_after(5) as scope:
        with pytest.raises(fasthub.Timeout):
            with fasthub.Timeout(0.02):
                fasthub.sleep(5)
    assert not scope.cancel_called


def test_scope_inside_a_timeout_catches_its_own_and_the_timeout_passes_through():
    with fasthub.Timeout(5) as t:
        with move_on_after(0.02) as scope:
            fasthub.sleep(5)
    assert scope.cancelled_caught and not t.pending
    with fasthub.Timeout(0.02, False):
        with move_on_after(5) as scope:
            fasthub.sleep(5)   # the Timeout passes through the scope untouched
        raise AssertionError("unreachable")
    assert not scope.cancel_called and not scope.cancelled_caught


def test_a_kill_passes_through_scopes():
    cleaned = []

    def worker():
        try:
            with move_on_after(5):
                fasthub.sleep(5)
        finally:
            cleaned.append(current_scopes())

    gt = fasthub.spawn(worker)
    fasthub.sleep(0.01)
    gt.kill()
    assert cleaned == [[]] and isinstance(gt.exception, GreenletExit)


def test_scopes_are_per_green_thread():
    other_waited = []

    def other():
        fasthub.sleep(0.05)
        other_waited.append(True)

    gt = fasthub.spawn(other)
    with CancelScope() as scope:
        scope.cancel()
        with pytest.raises(Cancelled):
            fasthub.sleep(0)
        gt.wait()
    # ``gt.wait()`` above raised Cancelled at once; the other green thread was not cancelled.
    gt.join()
    assert other_waited == [True] and scope.cancelled_caught


def test_misuse_says_what_to_do():
    scope = CancelScope()
    with scope:
        pass
    with pytest.raises(RuntimeError, match="only once"):
        with scope:
            pass
    a, b = CancelScope(), CancelScope()
    a.__enter__()
    b.__enter__()
    with pytest.raises(RuntimeError, match="reverse order"):
        a.__exit__(None, None, None)
    b.__exit__(None, None, None)
    a.__exit__(None, None, None)
    errors = []

    def in_hub():
        try:
            CancelScope().__enter__()
        except fasthub.BlockingInHubError as e:
            errors.append(e)

    fasthub.get_hub().call_soon(in_hub)
    fasthub.sleep(0.01)
    assert len(errors) == 1 and "spawn()" in str(errors[0])


def test_cancelled_is_a_base_exception_naming_its_scope():
    with CancelScope() as scope:
        scope.cancel()
        try:
            fasthub.sleep(1)
        except Exception:   # noqa: BLE001 - the point: this does not catch it
            raise AssertionError("Cancelled must not be an Exception")
        except Cancelled as e:
            assert e.scope is scope and "cancelled" in str(e)
            raise
    assert scope.cancelled_caught
