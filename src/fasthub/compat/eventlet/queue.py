"""``eventlet.queue``: Queue, LightQueue, PriorityQueue, LifoQueue, Full, Empty.

fasthub's queues, with eventlet's one difference: ``maxsize=0`` is a *channel*. A put() on a
channel waits until a get() has taken its item (``put(block=False)`` raises Full unless a getter is
waiting, and when none is left to take it at the next hub iteration), ``qsize()`` is always 0 and ``full()`` always True. ``maxsize=None`` (the default)
or a negative one is unbounded; a positive one bounds the queue as usual.
"""

from queue import Empty, Full

from greenlet import getcurrent as _getcurrent

from fasthub.core._hub import get_hub as _get_hub, sleep as _sleep
from fasthub.sync import queue as _q
from fasthub.sync.event import Event as _Event

__all__ = ["Queue", "PriorityQueue", "LifoQueue", "LightQueue", "Full", "Empty"]


class _Handoff:
    # One item a channel putter offers; ``taken`` is set by the getter that received it.
    __slots__ = ("item", "taken")

    def __init__(self, item):
        self.item = item
        self.taken = _Event()


class _ChannelMixin:
    # Adds the maxsize=0 channel to a fasthub queue class. Off the channel, every method is
    # fasthub's own.

    def __init__(self, maxsize=None):
        self._channel = maxsize == 0
        super().__init__(None if self._channel else maxsize)

    def put(self, item, block=True, timeout=None):
        """Put ``item``; on a channel, wait until a getter took it (queue.Full after ``timeout``,
        or at once with ``block=False`` when no getter is waiting)."""
        if not self._channel:
            return super().put(item, block, timeout)
        if not block or (timeout is not None and timeout <= 0):
            if not self.getting():
                raise Full
            # As eventlet: the hand-off happens at the next hub iteration, so a getter that is
            # killed or times out meanwhile does not swallow the item; with no getter left to take
            # it, the offer is withdrawn and put() raises Full.
            offer = _Handoff(item)
            super().put(offer)
            if offer.taken.is_set() or _getcurrent() is _get_hub():
                return   # (in a hub callback: nothing can wait; the getter is resumed next)
            _sleep(0)
            if not offer.taken.is_set() and self._withdraw(offer):
                if self._joinable:
                    super().task_done()
                raise Full
            return
        offer = _Handoff(item)
        super().put(offer)
        taken = False
        try:
            taken = offer.taken.wait(timeout)
        finally:
            if not taken and self._withdraw(offer) and self._joinable:
                super().task_done()
        if not taken:
            raise Full

    def _withdraw(self, offer):
        # True if the offer was still queued (no getter received it) and is now gone.
        try:
            self.queue.remove(offer)
        except ValueError:
            return False
        return True

    def put_nowait(self, item):
        """put(item, block=False)."""
        return self.put(item, False)

    def get(self, block=True, timeout=None):
        """Remove and return an item (on a channel: take one a putter offers, releasing it)."""
        got = super().get(block, timeout)
        if self._channel:
            got.taken.set()
            return got.item
        return got

    def get_nowait(self):
        """get(block=False)."""
        return self.get(False)

    def qsize(self):
        """Items in the queue (a channel holds none: its putters wait instead)."""
        return 0 if self._channel else super().qsize()

    def empty(self):
        """True if the queue holds no item (always, for a channel: its putters hold theirs)."""
        return True if self._channel else super().empty()

    def full(self):
        """True if put() would block (always, for a channel)."""
        return True if self._channel else super().full()

    def putting(self):
        """Green threads blocked in put() (on a channel: putters whose item nobody took yet)."""
        if self._channel:
            return super().qsize()
        return super().putting()

    def resize(self, size):
        """Change ``maxsize``; None is unbounded, 0 a channel (only while the queue is empty)."""
        if size == 0:
            if super().qsize() and not self._channel:
                raise ValueError("eventlet.queue: cannot make a non-empty queue a channel")
            self._channel = True
            return super().resize(None)
        if self._channel and super().qsize():
            # Pending offers become ordinary items: their putters are released.
            for offer in list(self.queue):
                offer.taken.set()
            self.queue.extend([o.item for o in [self.queue.popleft() for _ in range(len(self.queue))]])
        self._channel = False
        return super().resize(size)


class LightQueue(_ChannelMixin, _q.LightQueue):
    """A FIFO queue without task_done()/join(); ``LightQueue(0)`` is a channel."""


class Queue(_ChannelMixin, _q.Queue):
    """A FIFO queue with task_done()/join(); ``Queue(0)`` is a channel, ``Queue()`` unbounded."""


class PriorityQueue(_q.PriorityQueue):
    """Lowest item first (entries are usually ``(priority, data)``)."""


class LifoQueue(_q.LifoQueue):
    """Last in, first out."""
