"""``eventlet.hubs.hub``: READ/WRITE, and the hub object eventlet code talks to.

``get_hub()`` returns one ``Hub`` per fasthub hub: eventlet's interface (add/remove listeners,
schedule_call_global/local, switch, get_readers/get_writers, get_timers_count, clock, abort)
implemented on fasthub's Hub, which stays the only scheduler.
"""

import weakref

import greenlet

import fasthub

READ = "read"
WRITE = "write"

__all__ = ["READ", "WRITE", "Hub", "BaseHub", "FdListener"]


class FdListener:
    """A callback registered for one fd and one direction by ``Hub.add()``."""

    def __init__(self, evtype, fileno, cb, tb, mark_as_closed):
        self.evtype = evtype
        self.fileno = fileno
        self.cb = cb
        self.tb = tb
        self.mark_as_closed = mark_as_closed
        self.spent = False
        self.greenlet = None
        self._listener = None

    def defang(self):
        """Make the listener do nothing more."""
        self.cb = lambda *args, **kwargs: None
        self.tb = self.cb
        self.spent = True

    def __repr__(self):
        return f"FdListener({self.evtype!r}, {self.fileno!r}, {self.cb!r})"


class Hub:
    """eventlet's hub interface over fasthub's hub of this OS thread."""

    READ = READ
    WRITE = WRITE

    def __init__(self, hub):
        self._hub = hub
        self.listeners = {READ: {}, WRITE: {}}
        self.debug_exceptions = True
        self.debug_blocking = False
        self.debug_blocking_resolution = 1
        self._aborted = False
        self._parked = []      # greenlets inside switch(), resumed by abort()

    @property
    def greenlet(self):
        """The hub's greenlet (eventlet code compares getcurrent() with it)."""
        return self._hub

    @property
    def running(self):
        """False after abort() until the hub is used again (eventlet's flag)."""
        return not self._aborted and not self._hub.dead

    @property
    def timers(self):
        """The hub's timer heap (fasthub's TimerHeap)."""
        return self._hub.timers

    @property
    def timers_canceled(self):
        """Cancelled timers still in the heap (fasthub compacts it when they are over half)."""
        return self._hub.timers.dead

    def add(self, evtype, fileno, cb, tb, mark_as_closed):
        """Call ``cb(fileno)`` in the hub whenever ``fileno`` is ready for ``evtype`` (READ or
        WRITE), until remove(); one listener per fd and direction (a second raises)."""
        self._aborted = False
        listener = FdListener(evtype, fileno, cb, tb, mark_as_closed)
        register = self._hub.add_reader if evtype == READ else self._hub.add_writer
        listener._listener = register(fileno, lambda: listener.cb(fileno))
        self.listeners[evtype][fileno] = listener
        return listener

    def remove(self, listener):
        """Stop a listener made by add()."""
        if listener.spent:
            return
        listener.spent = True
        if listener._listener is not None:
            listener._listener.cancel()
        current = self.listeners[listener.evtype]
        if current.get(listener.fileno) is listener:
            del current[listener.fileno]

    def remove_descriptor(self, fileno):
        """Forget every listener of ``fileno``."""
        for evtype in (READ, WRITE):
            listener = self.listeners[evtype].get(fileno)
            if listener is not None:
                self.remove(listener)

    def mark_as_reopened(self, fileno):
        """eventlet bookkeeping for a reused fd number; fasthub forgets closed fds itself."""

    def notify_close(self, fileno):
        """Tell waiters on ``fileno`` it is being closed (they get an error instead of hanging)."""
        self.remove_descriptor(fileno)
        self._hub.notify_close(fileno)

    def schedule_call_global(self, seconds, cb, *args, **kwargs):
        """Run ``cb(*args, **kwargs)`` in the hub after ``seconds``; returns a timer with cancel()."""
        self._aborted = False
        if kwargs:
            return self._hub.call_later(seconds, lambda: cb(*args, **kwargs))
        return self._hub.call_later(seconds, cb, *args)

    def schedule_call_local(self, seconds, cb, *args, **kwargs):
        """Like schedule_call_global(), but the call is dropped if the green thread that scheduled
        it has finished by then."""
        owner = fasthub.getcurrent()

        def call():
            if getattr(owner, "dead", False):
                return
            cb(*args, **kwargs)

        return self._hub.call_later(seconds, call)

    def switch(self):
        """Switch to the hub; returns what the greenlet is later switched back with (or None
        after abort())."""
        self._aborted = False
        me = greenlet.getcurrent()
        self._parked.append(me)
        try:
            return self._hub.switch()
        finally:
            self._parked.remove(me)

    def run(self, *args, **kwargs):
        """eventlet's blocking loop entry point: run until nothing is left to do."""
        fasthub.sleep(0)

    def abort(self, wait=False):
        """eventlet stops its loop; fasthub's hub stops by itself when nothing is left to do, so
        this clears ``running`` and resumes the greenlets parked in switch()."""
        self._aborted = True
        for g in list(self._parked):
            self._hub.call_soon(g.switch)

    def set_debug_listeners(self, value):
        """Accepted (fasthub does not record listener registration stacks)."""

    def set_timer_exceptions(self, value):
        """Accepted (fasthub's hub always reports exceptions raised by timers)."""

    def clock(self):
        """The hub's monotonic clock."""
        return fasthub.monotonic()

    def get_readers(self):
        """Read listeners added with add() (fasthub's own socket waits are not listed)."""
        return list(self.listeners[READ].values())

    def get_writers(self):
        """Write listeners added with add()."""
        return list(self.listeners[WRITE].values())

    def get_listeners(self):
        return self.get_readers() + self.get_writers()

    def get_timers_count(self):
        """Timers in the hub's heap (cancelled ones not yet dropped included, as eventlet counts)."""
        return self._hub.timers.size

    def squelch_exception(self, fileno, exc_info):
        """eventlet reports errors of listeners here; fasthub's hub reports them itself."""

    def __repr__(self):
        return f"<eventlet Hub on {self._hub!r}>"


BaseHub = Hub

_adapters = weakref.WeakKeyDictionary()


def for_hub(hub):
    """The Hub adapter of a fasthub hub (one per hub)."""
    adapter = _adapters.get(hub)
    if adapter is None:
        adapter = _adapters[hub] = Hub(hub)
    return adapter
