"""fasthub.TaskGroup: the block waits for its children, the first failure cancels the rest and the
block raises an ExceptionGroup; groups nest and compose with cancel scopes."""

import time

import pytest
from greenlet import GreenletExit

import fasthub
from fasthub import Cancelled, TaskGroup, move_on_after
from fasthub.sync.groups import BaseExceptionGroup, ExceptionGroup


@pytest.fixture(autouse=True)
def no_scope_left(hub):
    yield
    assert hub.scoped == {}, f"cancel-scope state left behind: {hub.scoped!r}"


def _sleep_and_return(seconds, value):
    fasthub.sleep(seconds)
    return value


def _fail_after(seconds, exc):
    fasthub.sleep(seconds)
    raise exc


def _sleep_recording(record, tag=True):
    # Parks until cancelled or killed; records ``tag`` as it unwinds.
    try:
        fasthub.sleep(10)
    finally:
        record.append(tag)


def test_the_block_waits_for_every_child():
    t0 = time.monotonic()
    with TaskGroup() as tg:
        kids = [tg.spawn(_sleep_and_return, 0.02 * i, i) for i in range(1, 6)]
        assert len(tg.children) == 5
    assert [k.value for k in kids] == [1, 2, 3, 4, 5]
    assert all(k.dead for k in kids) and tg.children == []
    assert 0.09 <= time.monotonic() - t0 < 1.0


def test_first_failure_cancels_the_others_and_the_body():
    cleaned = []
    body_reached = []
    t0 = time.monotonic()
    with pytest.raises(ExceptionGroup) as info:
        with TaskGroup(name="fetchers") as tg:
            for i in range(3):
                tg.spawn(_sleep_recording, cleaned, i)
            tg.spawn(_fail_after, 0.03, ValueError("broken"))
            fasthub.sleep(10)            # the body is cancelled too
            body_reached.append(True)
    assert time.monotonic() - t0 < 2
    assert [type(e) for e in info.value.exceptions] == [ValueError]
    assert "'fetchers'" in str(info.value) and "1 failure" in str(info.value)
    assert sorted(cleaned) == [0, 1, 2] and body_reached == []
    assert tg.cancel_called


def test_failures_at_once_are_all_kept_and_the_body_exception_comes_first():
    with pytest.raises(ExceptionGroup) as info:
        with TaskGroup() as tg:
            tg.spawn(_fail_after, 0.02, KeyError("a"))
            tg.spawn(_fail_after, 0.02, IndexError("b"))
            fasthub.sleep(0)
            raise RuntimeError("body")
    assert [type(e) for e in info.value.exceptions][0] is RuntimeError
    # The body failed before the children slept out: they were cancelled, not failed.
    assert len(info.value.exceptions) == 1

    def shielded_then_fail(exc):
        with fasthub.CancelScope(shield=True):   # the first failure cannot cancel this wait
            fasthub.sleep(0.02)
        raise exc

    with pytest.raises(ExceptionGroup) as info:
        with TaskGroup() as tg:
            tg.spawn(shielded_then_fail, KeyError("a"))
            tg.spawn(shielded_then_fail, IndexError("b"))
    assert [type(e) for e in info.value.exceptions] == [KeyError, IndexError]


def test_a_base_exception_in_a_child_gives_a_base_exception_group():
    class Stop(BaseException):
        pass

    with pytest.raises(BaseExceptionGroup) as info:
        with TaskGroup() as tg:
            tg.spawn(_fail_after, 0, Stop())
    assert not isinstance(info.value, ExceptionGroup)
    assert [type(e) for e in info.value.exceptions] == [Stop]


def test_cancel_ends_the_block_quietly():
    cancelled = []

    def child():
        try:
            fasthub.sleep(10)
        except Cancelled:
            cancelled.append(True)
            raise

    t0 = time.monotonic()
    with TaskGroup() as tg:
        tg.spawn(child)
        tg.spawn(child)
        fasthub.sleep(0.01)
        tg.cancel()
        fasthub.sleep(10)   # the body is cancelled as well; the block swallows it
    assert cancelled == [True, True] and time.monotonic() - t0 < 2


def test_groups_nest():
    def inner_group():
        with TaskGroup() as inner:
            inner.spawn(_fail_after, 0.02, ValueError("deep"))
            inner.spawn(fasthub.sleep, 10)

    with pytest.raises(ExceptionGroup) as info:
        with TaskGroup() as outer:
            outer.spawn(inner_group)
            outer.spawn(fasthub.sleep, 10)
    (nested,) = info.value.exceptions
    assert isinstance(nested, ExceptionGroup)
    assert [type(e) for e in nested.exceptions] == [ValueError]


def test_a_scope_around_the_group_cancels_its_children():
    cleaned = []
    t0 = time.monotonic()
    with move_on_after(0.05) as scope:
        with TaskGroup() as tg:
            tg.spawn(_sleep_recording, cleaned)
            tg.spawn(_sleep_recording, cleaned)
    assert scope.cancelled_caught and cleaned == [True, True]
    assert time.monotonic() - t0 < 2


def test_a_shield_in_a_child_protects_it_and_the_block_waits_for_it():
    finished = []

    def protected():
        with fasthub.CancelScope(shield=True):
            fasthub.sleep(0.08)
        finished.append("protected")

    t0 = time.monotonic()
    with TaskGroup() as tg:
        tg.spawn(protected)
        tg.spawn(fasthub.sleep, 10)
        fasthub.sleep(0.01)
        tg.cancel()
    assert finished == ["protected"] and time.monotonic() - t0 >= 0.07


def test_children_can_spawn_siblings_and_spawn_outside_the_block_is_refused():
    seen = []

    def parent(tg):
        fasthub.sleep(0.01)
        tg.spawn(lambda: seen.append("sibling"))

    with TaskGroup() as tg:
        tg.spawn(parent, tg)
    assert seen == ["sibling"]
    with pytest.raises(RuntimeError, match="with fasthub.TaskGroup"):
        tg.spawn(print)
    with pytest.raises(RuntimeError, match="one `with` block"):
        with tg:
            pass
    with pytest.raises(RuntimeError, match="with fasthub.TaskGroup"):
        TaskGroup().spawn(print)


def test_a_killed_child_is_not_a_failure_even_before_it_starts():
    with TaskGroup() as tg:
        never = tg.spawn(lambda: 1 / 0)
        never.kill()                     # pending: it never runs
        running = tg.spawn(fasthub.sleep, 10)
        fasthub.sleep(0.01)
        running.kill()
        ok = tg.spawn(_sleep_and_return, 0.01, "ok")
    assert ok.value == "ok" and never.dead and running.dead


def test_killing_the_owner_cancels_the_children_and_the_kill_goes_on():
    cleaned = []

    def owner():
        with TaskGroup() as tg:
            tg.spawn(_sleep_recording, cleaned)
            fasthub.sleep(10)

    gt = fasthub.spawn(owner)
    fasthub.sleep(0.01)
    gt.kill()
    assert cleaned == [True] and isinstance(gt.exception, GreenletExit)


def test_children_spawned_into_a_cancelled_group_never_run():
    ran = []
    with TaskGroup() as tg:
        tg.cancel()
        tg.spawn(ran.append, 1)
    assert ran == []


def test_children_are_visible_to_stats_with_their_group(hub):
    with TaskGroup(name="visible") as tg:
        tg.spawn(fasthub.sleep, 10)
        tg.spawn(fasthub.sleep, 10)
        fasthub.sleep(0.01)
        snap = fasthub.stats()
        mine = next(h for h in snap["hubs"] if h["thread"] == hub.thread_ident)
        grouped = [r for r in mine["threads"] if r["group"]]
        # The owner (its body runs in the group's scope) and both children.
        assert len(grouped) == 3 and all("'visible'" in r["group"] for r in grouped), mine["threads"]
        names = sorted(r["name"] for r in grouped)
        assert names == ["green thread 'sleep'", "green thread 'sleep'", "the main greenlet"], names
        tg.cancel()
    assert all(r["group"] is None
               for h in fasthub.stats()["hubs"] for r in h["threads"]), "a group outlived its block"
