"""After monkey_patch(), threading.Thread/Lock/RLock/Event/Condition/Semaphore/Timer and
queue.Queue are cooperative: 50 threads that each time.sleep(0.2) finish together, locks still
exclude, and no OS thread is created."""
import fasthub

fasthub.monkey_patch()

import queue  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

# 50 sleeping threads overlap.
t0 = time.monotonic()
threads = [threading.Thread(target=time.sleep, args=(0.2,)) for _ in range(50)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
assert elapsed < 2.0, f"50 x sleep(0.2) took {elapsed:.2f}s: threads did not run concurrently"
assert len(sys._current_frames()) == 1, "a real OS thread was started"

# Lock: mutual exclusion holds across a switch inside the critical section.
lock = threading.Lock()
inside = []
overlap = []


def critical(i):
    with lock:
        inside.append(i)
        if len(inside) > 1:
            overlap.append(i)
        time.sleep(0.001)
        inside.remove(i)


threads = [threading.Thread(target=critical, args=(i,)) for i in range(20)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not overlap, f"Lock let {overlap} in together"

# RLock: reentrant for its owner, exclusive for others; released by the owner only.
rlock = threading.RLock()
order = []


def reenter(name):
    with rlock:
        with rlock:
            order.append(name)
            time.sleep(0.01)
            order.append(name)


ts = [threading.Thread(target=reenter, args=(n,)) for n in "ab"]
for t in ts:
    t.start()
for t in ts:
    t.join()
assert order in (list("aabb"), list("bbaa")), order
try:
    rlock.release()
except RuntimeError:
    pass
else:
    raise AssertionError("releasing an un-acquired RLock must raise RuntimeError")

# Event + Condition + Semaphore.
ev = threading.Event()
cond = threading.Condition()
sem = threading.BoundedSemaphore(2)
active = []
peak = []
results = []


def worker(i):
    ev.wait()
    with sem:
        active.append(i)
        peak.append(len(active))
        time.sleep(0.01)
        active.remove(i)
    with cond:
        results.append(i)
        cond.notify_all()


ts = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
for t in ts:
    t.start()
time.sleep(0.05)
assert not results, "Event.wait() did not wait"
ev.set()
with cond:
    assert cond.wait_for(lambda: len(results) == 6, timeout=5), results
assert max(peak) <= 2, f"BoundedSemaphore(2) let {max(peak)} in"
for t in ts:
    t.join()

# Timer fires on time and can be cancelled.
fired = []
tm = threading.Timer(0.05, fired.append, args=("yes",))
tm.start()
tm2 = threading.Timer(0.05, fired.append, args=("cancelled",))
tm2.start()
tm2.cancel()
tm.join()
tm2.join()
assert fired == ["yes"], fired

# queue.Queue producer/consumer with a bound, task_done/join.
q = queue.Queue(maxsize=2)
got = []


def consumer():
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            return
        got.append(item)
        q.task_done()


c = threading.Thread(target=consumer)
c.start()
for i in range(10):
    q.put(i)
q.put(None)
q.join()
c.join()
assert got == list(range(10)), got
try:
    q.get(timeout=0.05)
except queue.Empty:
    pass
else:
    raise AssertionError("get(timeout) on an empty queue must raise queue.Empty")

# Identity: main thread keeps its identity; green threads have their own.
assert threading.current_thread() is threading.main_thread()
idents = set()


def record_ident():
    idents.add(threading.get_ident())
    time.sleep(0.01)  # all five alive at once: idents of dead threads may be reused, as with OS threads


ts = [threading.Thread(target=record_ident) for _ in range(5)]
for t in ts:
    t.start()
for t in ts:
    t.join()
assert len(idents) == 5 and threading.get_ident() not in idents
assert threading.active_count() == 1, threading.enumerate()

# threading.local is per green thread.
loc = threading.local()
loc.v = "main"
seen = []


def read_local():
    seen.append(getattr(loc, "v", None))
    loc.v = "green"


t = threading.Thread(target=read_local)
t.start()
t.join()
assert seen == [None] and loc.v == "main", (seen, loc.v)
# concurrent.futures.ThreadPoolExecutor: its workers are green threads, its queue is green.
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

t0 = time.monotonic()
with ThreadPoolExecutor(max_workers=20) as pool:
    results = list(pool.map(lambda i: (time.sleep(0.2), i * i)[1], range(20)))
elapsed = time.monotonic() - t0
assert results == [i * i for i in range(20)], results
assert elapsed < 2.0, f"20 x sleep(0.2) in a 20-worker pool took {elapsed:.2f}s"
assert len(sys._current_frames()) == 1, "ThreadPoolExecutor started a real OS thread"
print("pass")
