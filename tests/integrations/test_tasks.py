"""fasthub.tasks: call_later/call_soon/call_at with cancel and result."""

import time

import pytest

import fasthub
from fasthub.tasks import CancelledError, call_at, call_later, call_soon


def test_runs_after_the_delay_and_returns_its_result():
    t0 = time.monotonic()
    call = call_later(0.1, lambda a, b=0: (a + b, time.monotonic()), 2, b=3)
    assert not call.done()
    value, ran_at = call.result(timeout=5)
    assert value == 5
    assert ran_at - t0 >= 0.09
    assert call.done() and not call.cancelled()


def test_cancel_before_start_means_it_never_runs():
    ran = []
    calls = [call_later(0.05, ran.append, i) for i in range(100)]
    for c in calls[::2]:
        assert c.cancel() is True
    fasthub.sleep(0.15)
    assert ran == list(range(1, 100, 2))
    assert all(c.cancelled() and c.done() for c in calls[::2])
    with pytest.raises(CancelledError):
        calls[0].result()
    assert calls[1].cancel() is False   # already finished


def test_cancel_while_running_kills_it():
    cleaned = []

    def slow():
        try:
            fasthub.sleep(10)
        finally:
            cleaned.append(True)

    call = call_soon(slow)
    fasthub.sleep(0.01)
    assert call.running()
    assert call.cancel() is True
    assert call.wait(2)
    assert cleaned == [True] and call.cancelled()
    with pytest.raises(CancelledError):
        call.result()


def test_cancel_without_kill_lets_it_finish():
    call = call_soon(lambda: fasthub.sleep(0.05) or "finished")
    fasthub.sleep(0.01)
    assert call.cancel(kill=False) is False
    assert call.result(2) == "finished"


def test_exception_is_kept_for_result_not_reported_to_the_hub():
    call = call_soon(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        call.result(2)
    assert isinstance(call.exception(), ZeroDivisionError)


def test_result_timeout_and_done_callbacks():
    seen = []
    call = call_later(0.2, lambda: "late")
    call.add_done_callback(lambda c: seen.append(c.result()))
    with pytest.raises(TimeoutError):
        call.result(timeout=0.05)
    assert call.result(timeout=5) == "late"
    assert seen == ["late"]
    call.add_done_callback(lambda c: seen.append("again"))   # already done: called at once
    assert seen == ["late", "again"]


def test_call_at_and_order():
    order = []
    now = fasthub.monotonic()
    calls = [call_at(now + 0.06, order.append, "c"), call_later(0.03, order.append, "b"),
             call_soon(order.append, "a")]
    for c in calls:
        c.result(2)
    assert order == ["a", "b", "c"]


def test_other_green_threads_can_wait_on_one_call():
    call = call_later(0.05, lambda: 42)
    waiters = [fasthub.spawn(call.result, 5) for _ in range(10)]
    assert [w.wait() for w in waiters] == [42] * 10


def test_not_callable_is_refused():
    with pytest.raises(TypeError, match="not callable"):
        call_later(1, "not a function")
