"""``eventlet.pools``: Pool (a bounded set of reusable resources, created on demand) and TokenPool.

``get()`` hands out a free item, creates one while fewer than ``max_size`` exist, and otherwise
parks the calling green thread until ``put()`` returns one (handed directly to the first waiter).
``with pool.item() as thing:`` gets and puts back. Subclass and define ``create()``, or pass
``create=callable``.
"""

import collections
import contextlib

from fasthub.compat.eventlet.queue import LightQueue

__all__ = ["Pool", "TokenPool"]


class Pool:
    """At most ``max_size`` items; ``min_size`` are created at once; ``order_as_stack=True``
    reuses the most recently returned item first (default: round robin)."""

    def __init__(self, min_size=0, max_size=4, order_as_stack=False, create=None):
        self.min_size = min_size
        self.max_size = max_size
        self.order_as_stack = order_as_stack
        self.current_size = 0
        self.channel = LightQueue(0)   # hand-off to waiting getters
        self.free_items = collections.deque()
        if create is not None:
            self.create = create
        for _ in range(min_size):
            self.current_size += 1
            self.put(self.create())

    def get(self):
        """An item: a free one, a new one (below max_size), or the next one put back."""
        if self.free_items:
            return self.free_items.popleft()
        self.current_size += 1
        if self.current_size <= self.max_size:
            try:
                return self.create()
            except BaseException:
                self.current_size -= 1
                raise
        self.current_size -= 1
        return self.channel.get()

    @contextlib.contextmanager
    def item(self):
        """``with pool.item() as x:`` gets an item and puts it back afterwards."""
        obj = self.get()
        try:
            yield obj
        finally:
            self.put(obj)

    def put(self, item):
        """Return ``item``: to a waiting getter, to the free items, or dropped if the pool shrank."""
        if self.current_size > self.max_size:
            self.current_size -= 1
            return
        if self.waiting():
            try:
                self.channel.put(item, block=False)
                return
            except Exception:
                pass  # the waiter left meanwhile: keep the item
        if self.order_as_stack:
            self.free_items.appendleft(item)
        else:
            self.free_items.append(item)

    def resize(self, new_size):
        """Change max_size; extra items are dropped as they come back."""
        self.max_size = new_size

    def free(self):
        """How many get() calls would not wait now."""
        return len(self.free_items) + self.max_size - self.current_size

    def waiting(self):
        """Green threads waiting in get()."""
        return max(0, self.channel.getting() - self.channel.putting())

    def create(self):
        """Make a new item; override it or pass ``create=`` to the constructor."""
        raise NotImplementedError("Implement in subclass")


class Token:
    """An opaque item of a TokenPool."""


class TokenPool(Pool):
    """A Pool of tokens: a semaphore-like limit on concurrent work."""

    def create(self):
        return Token()
