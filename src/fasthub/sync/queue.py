"""Queues for green threads: Queue, LifoQueue, PriorityQueue (the stdlib's API) and LightQueue.

They raise the stdlib's own ``queue.Empty`` and ``queue.Full``, so ``except queue.Empty:`` keeps
working. ``maxsize`` follows the stdlib: 0 (or None, or negative) means unbounded. eventlet's
``Queue(0)`` was a rendezvous channel; here, as in gevent >= 1.1 and the stdlib, it is unbounded.

LightQueue and Queue are compiled (fasthub.sync._queue, which also explains how waiting and OS
threads work); the LIFO and priority queues are theirs with other containers, the way a user
subclasses them: override ``_init(maxsize)``, ``_qsize()``, ``_put(item)``, ``_get()`` as with the
stdlib (store the container as ``self.queue``). Hooks must not block; custom hooks run under a mutex.
"""

import heapq
from queue import Empty, Full

from fasthub.sync._queue import FAST_HOOKS, LightQueue, Queue

__all__ = ["Queue", "LifoQueue", "PriorityQueue", "LightQueue", "Empty", "Full"]


class LifoQueue(Queue):
    """A last-in, first-out Queue."""

    def _init(self, maxsize):
        self.queue = []

    def _get(self):
        return self.queue.pop()


class PriorityQueue(Queue):
    """A Queue that returns the lowest item first (``heapq`` order); put (priority, data) tuples."""

    def _init(self, maxsize):
        self.queue = []

    def _put(self, item):
        heapq.heappush(self.queue, item)

    def _get(self):
        return heapq.heappop(self.queue)


# A list's pop() is LifoQueue._get in one C call, like the FIFO queue's stock hooks.
FAST_HOOKS[LifoQueue._get] = "pop"
