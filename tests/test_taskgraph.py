"""fasthub.tasks.TaskGraph: tasks that start when their dependencies finish and get their results."""

import time

import pytest

import fasthub
from fasthub.sync.groups import ExceptionGroup
from fasthub.tasks import CancelledError, DependencyFailed, Task, TaskGraph


def test_results_flow_to_dependents_in_after_order_fan_out_and_join():
    order = []

    def download(url, delay):
        fasthub.sleep(delay)
        order.append(("download", url))
        return f"<{url}>"

    def parse(page, suffix):
        order.append(("parse", page))
        return page + suffix

    def store(*pages):
        order.append(("store",))
        return list(pages)

    graph = TaskGraph()
    # b finishes first, yet store receives the results in `after` order.
    parsed = [graph.add(parse, "!", after=graph.add(download, url, delay))
              for url, delay in (("a", 0.06), ("b", 0.01), ("c", 0.03))]
    store_task = graph.add(store, after=parsed, name="store")
    results = graph.run(timeout=5)
    assert store_task.result() == ["<a>!", "<b>!", "<c>!"]
    assert results["store"] == ["<a>!", "<b>!", "<c>!"] and len(results) == 7
    # Each parse ran after its own download, the store after every parse.
    for url in "abc":
        assert order.index(("download", url)) < order.index(("parse", f"<{url}>"))
    assert order[-1] == ("store",)
    assert [o[1] for o in order if o[0] == "download"] == ["b", "c", "a"]


def test_positional_argument_after_results_and_results_false():
    graph = TaskGraph()
    first = graph.add(lambda: 2)
    second = graph.add(lambda x, y, z=0: (x, y, z), 10, after=first, z=5)
    ordering_only = graph.add(lambda: "no args", after=[first, second], results=False)
    graph.run(timeout=5)
    assert second.result() == (2, 10, 5)
    assert ordering_only.result() == "no args"


def test_limit_bounds_how_many_run_at_once():
    running = [0]
    peak = [0]

    def work():
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        fasthub.sleep(0.1)
        running[0] -= 1

    graph = TaskGraph(limit=3)
    for _ in range(9):
        graph.add(work)
    t0 = time.monotonic()
    graph.run(timeout=10)
    elapsed = time.monotonic() - t0
    assert peak[0] == 3
    # Three waves of 0.1 s: well under the serial 0.9 s, not under one wave.
    assert 0.28 < elapsed < 0.8, elapsed


def test_failure_cancels_dependents_transitively_with_the_cause_and_the_rest_go_on():
    def boom():
        fasthub.sleep(0.01)
        raise ValueError("no such page")

    graph = TaskGraph()
    bad = graph.add(boom, name="download")
    parse = graph.add(lambda page: page, after=bad, name="parse")
    store = graph.add(lambda page: page, after=parse, name="store")
    other = graph.add(lambda: fasthub.sleep(0.05) or "other ok", name="other")
    with pytest.raises(ExceptionGroup) as info:
        graph.run(timeout=5)
    assert [type(e) for e in info.value.exceptions] == [ValueError]
    assert "download" in str(info.value)
    assert other.result() == "other ok"
    assert bad.state == "failed" and isinstance(bad.exception(), ValueError)
    for task, cause_task in ((parse, bad), (store, parse)):
        assert task.cancelled() and task.state == "cancelled"
        with pytest.raises(DependencyFailed) as dep:
            task.result()
        assert dep.value.failed_task is cause_task
        assert isinstance(dep.value, CancelledError)
    # The root cause is reachable from the end of the chain.
    with pytest.raises(DependencyFailed) as dep:
        store.result()
    assert isinstance(dep.value.__cause__.__cause__, ValueError)
    assert graph.failures() == {"download": bad.exception()}
    assert set(graph.results()) == {"other"}


def test_a_long_chain_fails_without_recursion():
    graph = TaskGraph()
    task = graph.add(lambda: 1 / 0)
    for _ in range(5000):
        task = graph.add(lambda x: x, after=task)
    graph.start()
    assert graph.wait(10)
    with pytest.raises(DependencyFailed):
        task.result()


def test_cycles_are_refused_when_built_and_nothing_is_added():
    graph = TaskGraph()
    graph.add(lambda x: x, after="c", name="a")
    graph.add(lambda x: x, after="a", name="b")
    with pytest.raises(ValueError, match=r"cycle: c -> b -> a -> c"):
        graph.add(lambda x: x, after="b", name="c")
    assert len(graph) == 2
    with pytest.raises(ValueError, match="cycle: d -> d"):
        graph.add(lambda x: x, after="d", name="d")
    with pytest.raises(ValueError, match="already has a task named 'a'"):
        graph.add(lambda: 0, name="a")
    with pytest.raises(ValueError, match="another TaskGraph"):
        graph.add(lambda: 0, after=TaskGraph().add(lambda: 0))
    with pytest.raises(TypeError, match="not callable"):
        graph.add("nope")
    with pytest.raises(TypeError, match="after="):
        graph.add(print, graph["a"])
    # 'c' is still missing: start() refuses and starts nothing.
    with pytest.raises(ValueError, match="'a' needs 'c'"):
        graph.start()
    assert all(t.state == "waiting" for t in graph)
    with pytest.raises(RuntimeError, match="start"):
        graph.wait()


def test_names_may_refer_to_tasks_added_later():
    graph = TaskGraph()
    late = graph.add(lambda x: x * 2, after="source")
    graph.add(lambda: 21, name="source")
    assert late.dependencies == (graph["source"],)
    assert graph.run(timeout=5)[late.name] == 42


def test_cancel_the_whole_graph():
    cleaned = []
    started = []

    def slow(i):
        started.append(i)
        try:
            fasthub.sleep(10)
        finally:
            cleaned.append(i)

    graph = TaskGraph(limit=2)
    tasks = [graph.add(slow, i) for i in range(4)]
    after = graph.add(lambda *r: "never", after=tasks)
    graph.start()
    fasthub.sleep(0.02)
    assert started == [0, 1]
    assert graph.cancel() == 5
    assert graph.wait(2)   # the killed tasks have unwound
    assert sorted(cleaned) == [0, 1] and started == [0, 1]
    for t in tasks + [after]:
        assert t.cancelled()
        with pytest.raises(CancelledError):
            t.result()
    assert graph.cancel() == 0


def test_cancel_one_task_cancels_its_dependents_only():
    graph = TaskGraph()
    a = graph.add(fasthub.sleep, 10)
    b = graph.add(lambda _: "b", after=a)
    c = graph.add(lambda: "c")
    graph.start()
    fasthub.sleep(0.01)
    assert a.running()
    assert a.cancel() is True and a.cancel() is False
    assert graph.wait(2)
    assert c.result() == "c"
    with pytest.raises(DependencyFailed):
        b.result()


def test_adding_after_start():
    graph = TaskGraph()
    first = graph.add(lambda: 5)
    bad = graph.add(lambda: [][1])
    graph.start()
    assert graph.wait(2)
    later = graph.add(lambda x: x + 1, after=first)
    doomed = graph.add(lambda x: x, after=bad)
    assert later.result(timeout=2) == 6
    assert doomed.cancelled()
    with pytest.raises(DependencyFailed) as info:
        doomed.result()
    assert isinstance(info.value.__cause__, IndexError)
    assert graph.wait(2)


def test_result_timeout_run_timeout_and_task_green_thread_names():
    names = []

    def slow():
        names.append(fasthub.getcurrent().name)
        fasthub.sleep(10)

    graph = TaskGraph()
    task = graph.add(slow, name="slow one")
    graph.start()
    with pytest.raises(TimeoutError):
        task.result(timeout=0.02)
    assert names == ["task slow one"]
    with pytest.raises(TimeoutError, match="cancelled"):
        graph.run(timeout=0.02)
    assert task.cancelled()


def test_other_green_threads_wait_on_a_task_and_callbacks_run():
    graph = TaskGraph()
    task = graph.add(lambda: fasthub.sleep(0.03) or 7)
    seen = []
    task.add_done_callback(lambda t: seen.append(t.result()))
    waiters = [fasthub.spawn(task.result, 5) for _ in range(5)]
    graph.start()
    assert [w.wait() for w in waiters] == [7] * 5
    assert seen == [7] and isinstance(task, Task)


def test_bad_limit():
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="limit"):
            TaskGraph(limit=bad)
