"""Patched (green) locks work across real OS threads: logging from fasthub.tpool workers while green
threads log through the same handler (eventlet#432: "Can't log from within tpool.execute"), and a
green lock held by a worker parks only the green thread that waits for it."""
import fasthub

fasthub.monkey_patch()
import io  # noqa: E402
import logging  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from fasthub import tpool  # noqa: E402

stream = io.StringIO()
handler = logging.StreamHandler(stream)
log = logging.getLogger("mixed")
log.addHandler(handler)
log.setLevel(logging.INFO)
log.propagate = False


def slow_emit_lock_holder(tag):
    for i in range(20):
        log.info("%s %d", tag, i)


def in_worker(tag):
    slow_emit_lock_holder(tag)
    return tag


gts = [fasthub.spawn(tpool.execute, in_worker, f"worker{i}") for i in range(4)]
gts += [fasthub.spawn(slow_emit_lock_holder, f"green{i}") for i in range(4)]
assert [gt.wait() for gt in gts[:4]] == [f"worker{i}" for i in range(4)]
fasthub.joinall(gts, raise_error=True)
lines = stream.getvalue().splitlines()
assert len(lines) == 160, len(lines)

# A green lock held by an OS thread: the waiting green thread parks, the hub keeps running.
lock = threading.Lock()


def hold_in_worker():
    lock.acquire()
    fasthub.patcher.get_original("time", "sleep")(0.2)
    lock.release()


job = fasthub.spawn(tpool.execute, hold_in_worker)
while not lock.locked():
    time.sleep(0.001)
ticks = []
ticker = fasthub.spawn(lambda: [ticks.append(time.sleep(0.01)) for _ in range(10)])
assert lock.acquire(timeout=5)
lock.release()
job.wait()
ticker.wait()
assert len(ticks) == 10
print("pass")
