"""Deadlock reports: LoopExit names each parked green thread, where it waits, on what (a Lock with
its holder and where that took it, an Event, a Queue, a join), and the wait-for cycle; the monitor
reports a partial deadlock (a cycle while other green threads still run)."""

import inspect
import re

import pytest

import fasthub
from fasthub.sync import locks


def _line(fn, text, nth=0):
    lines, start = inspect.getsourcelines(fn)
    found = [start + i for i, line in enumerate(lines) if text in line]
    return found[nth]


A = fasthub.Lock()   # module globals: the ab/ba functions below name them in `with` statements
B = fasthub.Lock()


def ab():
    with A:
        fasthub.sleep(0.01)
        with B:
            pass


def ba():
    with B:
        fasthub.sleep(0.01)
        with A:
            pass


@pytest.fixture
def fresh_locks():
    global A, B
    A, B = fasthub.Lock(), fasthub.Lock()
    yield A, B


@pytest.fixture
def lock_sites():
    locks.track_sites(True)
    yield
    locks.track_sites(False)


def _loop_exit(*greenthreads):
    with pytest.raises(fasthub.LoopExit) as info:
        fasthub.joinall(greenthreads)
    for gt in greenthreads:
        gt.kill(block=False)
    return info.value


def test_two_locks_in_opposite_order_name_both_threads_both_locks_both_lines(fresh_locks, lock_sites):
    a, b = fresh_locks
    one = fasthub.spawn(ab)
    one.name = "one"
    two = fasthub.spawn(ba)
    two.name = "two"
    err = _loop_exit(one, two)
    text = str(err)
    wait_one = f"tests/test_deadlock.py:{_line(ab, 'with B:')} in ab"
    wait_two = f"tests/test_deadlock.py:{_line(ba, 'with A:')} in ba"
    took_one = f"tests/test_deadlock.py:{_line(ab, 'with A:')} in ab"
    took_two = f"tests/test_deadlock.py:{_line(ba, 'with B:')} in ba"
    lock_a, lock_b = f"Lock at {id(a):#x}", f"Lock at {id(b):#x}"
    assert f"green thread 'one' waits at {wait_one} on {lock_b}, held by green thread 'two' " \
           f"(taken at {took_two})" in text, text
    assert f"green thread 'two' waits at {wait_two} on {lock_a}, held by green thread 'one' " \
           f"(taken at {took_one})" in text, text
    assert "wait-for cycle (deadlock):" in text
    (cycle,) = err.cycles
    assert sorted(e["label"] for e in cycle) == ["green thread 'one'", "green thread 'two'"]
    assert {e["on"] for e in cycle} == {a, b}
    # The main greenlet is parked too (in joinall), on the end of green thread 'one'.
    assert "the main greenlet waits at tests/test_deadlock.py:" in text
    assert "on the end of green thread 'one'" in text


def test_without_site_tracking_the_holder_is_still_named(fresh_locks):
    one, two = fasthub.spawn(ab), fasthub.spawn(ba)
    text = str(_loop_exit(one, two))
    assert re.search(r"green thread 'ab' waits at [^\n]* on Lock at 0x[0-9a-f]+, held by green "
                     r"thread 'ba'\n", text), text
    assert re.search(r"green thread 'ba' waits at [^\n]* on Lock at 0x[0-9a-f]+, held by green "
                     r"thread 'ab'\n", text), text
    assert "taken at" not in text


def test_other_waits_are_named():
    ev = fasthub.Event()
    q = fasthub.Queue()
    sem = fasthub.Semaphore(0)
    cond = fasthub.Condition()

    def on_condition():
        with cond:
            cond.wait()

    def on_event():
        ev.wait()

    waiters = [fasthub.spawn(on_event), fasthub.spawn(q.get), fasthub.spawn(sem.acquire),
               fasthub.spawn(on_condition)]
    fasthub.sleep(0)
    joiner = fasthub.spawn(waiters[0].wait)
    text = str(_loop_exit(joiner, *waiters))
    assert re.search(rf"on Event at {id(ev):#x}", text), text
    assert re.search(rf"on (Light)?Queue at {id(q):#x}", text), text
    assert re.search(rf"on Semaphore at {id(sem):#x}", text), text
    assert re.search(rf"on Condition at {id(cond):#x}", text), text
    assert re.search(r"on the end of green thread '[\w.<>]*on_event'", text), text
    assert "wait-for cycle" not in text


def test_joins_that_wait_for_each_other_are_a_cycle():
    holder = {}

    def first():
        fasthub.sleep(0)
        holder["second"].wait()

    def second():
        holder["first"].wait()

    holder["first"] = fasthub.spawn(first)
    holder["second"] = fasthub.spawn(second)
    err = _loop_exit(holder["first"], holder["second"])
    (cycle,) = err.cycles
    assert {e["label"].rpartition('.')[2] for e in cycle} == {"first'", "second'"}, cycle


def test_rlocks_in_opposite_order():
    r1, r2 = fasthub.RLock(), fasthub.RLock()

    def take(x, y):
        with x:
            fasthub.sleep(0.01)
            with y:
                pass

    g1 = fasthub.spawn(take, r1, r2)
    g2 = fasthub.spawn(take, r2, r1)
    err = _loop_exit(g1, g2)
    assert len(err.cycles) == 1 and f"RLock at {id(r1):#x}" in str(err)


def test_the_monitor_reports_a_partial_deadlock_while_others_run(fresh_locks, lock_sites):
    reports = []
    fasthub.monitor.start(threshold=0.05, action=lambda r: None, on_deadlock=reports.append)
    try:
        ticks = []

        def ticker():
            while True:
                ticks.append(1)
                fasthub.sleep(0.01)   # keeps the hub busy: no LoopExit can end this

        t = fasthub.spawn(ticker)
        one, two = fasthub.spawn(ab), fasthub.spawn(ba)
        for _ in range(100):
            fasthub.sleep(0.02)
            if reports:
                break
        fasthub.sleep(0.2)   # a cycle that lasts is reported once
        assert len(reports) == 1, reports
        report = reports[0]
        assert sorted(e["label"] for e in report.cycle) == ["green thread 'ab'", "green thread 'ba'"]
        assert "in ab" in report.text and "in ba" in report.text
        assert fasthub.monitor.deadlocks() == reports
        assert fasthub.stats()["monitor"]["deadlocks"] == [report.text]
        assert len(ticks) > 5
        for gt in (one, two, t):
            gt.kill()
    finally:
        fasthub.monitor.stop()


def test_the_monitor_logs_a_partial_deadlock_by_default(fresh_locks, caplog):
    fasthub.monitor.start(threshold=0.05, action=lambda r: None)
    try:
        t = fasthub.spawn(lambda: [fasthub.sleep(0.01) for _ in range(1000)])
        one, two = fasthub.spawn(ab), fasthub.spawn(ba)
        with caplog.at_level("WARNING", logger="fasthub.monitor"):
            for _ in range(100):
                fasthub.sleep(0.02)
                if fasthub.monitor.deadlocks():
                    break
        assert any("partial deadlock" in r.getMessage() for r in caplog.records), caplog.records
        for gt in (one, two, t):
            gt.kill()
    finally:
        fasthub.monitor.stop()
