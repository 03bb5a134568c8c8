"""Producers and consumers around an eventlet queue, a channel, a pool and a semaphore."""
import eventlet
from eventlet import queue, semaphore

work = queue.Queue(5)      # bounded: producers wait when consumers fall behind
handoff = queue.Queue(0)   # a channel: put() waits for the get()
results = []
lock = semaphore.Semaphore(1)


def producer(name, n):
    for i in range(n):
        work.put((name, i))
        eventlet.sleep(0.001)


def consumer():
    while True:
        name, i = work.get()
        with lock:
            results.append(f"{name}{i}")
        work.task_done()


def relay():
    for item in ["x", "y", "z"]:
        handoff.put(item)   # returns only once the receiver took it


pool = eventlet.GreenPool()
for _ in range(3):
    pool.spawn_n(consumer)
producers = [eventlet.spawn(producer, name, 20) for name in "abc"]
for p in producers:
    p.wait()
work.join()
relayed = eventlet.spawn(relay)
received = [handoff.get() for _ in range(3)]
relayed.wait()
print(len(results), sorted(results)[:3], received, flush=True)
