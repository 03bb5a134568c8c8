"""The timer heap alone, on a fake clock: ordering, ties, O(1) cancel with lazy removal, compaction;
and timers kept out of the cycle collector without leaking (one test on a real hub)."""

import gc
import random
import weakref

import pytest

from fasthub.core._hub import Hub
from fasthub.core._timers import TimerHeap


def drain(heap, now):
    fired = []
    while True:
        t = heap.pop_next_due(now)
        if t is None:
            return fired
        fired.append(t.callback)


def test_fires_in_deadline_order():
    heap = TimerHeap()
    rng = random.Random(1)
    deadlines = [rng.uniform(0, 10) for _ in range(2000)]
    for i, d in enumerate(deadlines):
        heap.schedule(d, i)
    fired = drain(heap, 10.0)
    assert [deadlines[i] for i in fired] == sorted(deadlines)


def test_equal_deadlines_fire_in_scheduling_order():
    heap = TimerHeap()
    for i in range(1000):
        heap.schedule(5.0, i)
    heap.schedule(1.0, "early")
    assert drain(heap, 5.0) == ["early"] + list(range(1000))


def test_nothing_fires_before_its_deadline():
    heap = TimerHeap()
    heap.schedule(2.0, "a")
    heap.schedule(3.0, "b")
    assert drain(heap, 1.999) == []
    assert drain(heap, 2.0) == ["a"]
    assert heap.next_deadline() == 3.0
    assert drain(heap, 2.5) == []
    assert drain(heap, 3.0) == ["b"]
    assert heap.next_deadline() == -1.0


def test_cancel_is_lazy_and_cancelled_timers_never_fire():
    heap = TimerHeap()
    timers = [heap.schedule(float(i), i) for i in range(10)]
    for t in timers[::2]:
        t.cancel()
        t.cancel()  # twice is harmless
    assert len(heap) == 5
    assert heap.dead == 5  # still in the heap: cancel did not touch it
    assert drain(heap, 100.0) == [1, 3, 5, 7, 9]
    assert heap.size == 0 and heap.dead == 0
    assert not any(t.pending for t in timers)


def test_cancelled_top_does_not_hide_next_deadline():
    heap = TimerHeap()
    first = heap.schedule(1.0, "first")
    heap.schedule(2.0, "second")
    first.cancel()
    assert heap.next_deadline() == 2.0


def test_compaction_bounds_memory_when_most_timers_are_cancelled():
    # The common case: every socket timeout is scheduled and cancelled before it fires.
    heap = TimerHeap()
    keep = heap.schedule(1e9, "keep")
    for i in range(100_000):
        heap.schedule(1000.0 + i, i).cancel()
        assert heap.size <= 2 * max(len(heap), 64)
    assert len(heap) == 1
    assert drain(heap, 1e9) == ["keep"]
    assert keep.pending is False


def test_cancel_after_fire_is_a_no_op():
    heap = TimerHeap()
    t = heap.schedule(1.0, "x")
    assert drain(heap, 1.0) == ["x"]
    t.cancel()
    assert heap.dead == 0 and len(heap) == 0


@pytest.mark.parametrize("seed", range(5))
def test_random_schedule_cancel_matches_a_model(seed):
    rng = random.Random(seed)
    heap = TimerHeap()
    model = {}
    handles = {}
    now = 0.0
    fired = []
    for step in range(5000):
        op = rng.random()
        if op < 0.5:
            d = now + rng.choice([0.0, 0.5, 1.0, rng.uniform(0, 5)])
            handles[step] = heap.schedule(d, step)
            model[step] = (d, step)
        elif op < 0.8 and model:
            key = rng.choice(list(model))
            handles.pop(key).cancel()
            del model[key]
        else:
            now += rng.uniform(0, 1)
            got = drain(heap, now)
            due = sorted(v for v in model.values() if v[0] <= now)
            assert got == [s for _, s in due]
            for s in got:
                del model[s]
                handles.pop(s)
            fired.extend(got)
        assert len(heap) == len(model)
    assert fired  # the model did exercise firing


def test_a_timer_that_outlives_its_heap_is_done_and_lets_go_of_its_callback():
    # Timers point back to their heap without a reference (they stay out of the cycle collector):
    # freeing the heap must leave a held timer safe to cancel, no longer pending, and holding nothing.
    class Callback:
        def __call__(self):
            pass

    cb = Callback()
    ref = weakref.ref(cb)
    heap = TimerHeap()
    kept = heap.schedule(5.0, cb, (1, 2))
    fired = heap.schedule(1.0, print)
    assert heap.pop_next_due(2.0) is fired
    del cb, heap
    assert ref() is None, "a timer of a freed heap still holds its callback"
    assert not kept.pending
    assert kept.callback is None and kept.args is None
    kept.cancel()  # harmless, and must not touch the freed heap
    fired.cancel()


def test_timers_stay_out_of_the_cycle_collector():
    heap = TimerHeap()
    t = heap.schedule(1.0, print)
    assert not gc.is_tracked(t)
    assert not gc.is_tracked(heap)


def test_a_destroyed_hub_with_a_pending_timer_that_refers_to_it_is_freed():
    # The timer's arguments refer to the hub (as the idle-worker trim timer's do): once the hub is
    # destroyed and dropped, nothing may keep it alive, although the timer is not a GC object.
    hub = Hub()
    hub.call_later(60.0, print, hub)
    ref = weakref.ref(hub)
    hub.destroy()
    del hub
    gc.collect()
    assert ref() is None
