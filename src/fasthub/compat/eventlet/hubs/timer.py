"""``eventlet.hubs.timer``: Timer, a callback to run in the hub after some seconds."""

import fasthub

__all__ = ["Timer", "LocalTimer"]


class Timer:
    """``Timer(seconds, cb, *args, **kw)``; ``schedule()`` arms it on this thread's hub,
    ``cancel()`` disarms it; ``called`` tells whether it ran (or was cancelled)."""

    def __init__(self, seconds, cb, *args, **kw):
        self.seconds = seconds
        self.tpl = cb, args, kw
        self.called = False
        self._timer = None

    @property
    def pending(self):
        return not self.called and self._timer is not None and self._timer.pending

    def copy(self):
        """A new, unscheduled Timer with the same delay and callback."""
        cb, args, kw = self.tpl
        new = type(self)(self.seconds, cb, *args, **kw)
        new.called = self.called
        return new

    def schedule(self):
        """Arm the timer; returns self."""
        self._timer = fasthub.get_hub().call_later(self.seconds, self)
        return self

    def __call__(self, *args):
        if not self.called:
            self.called = True
            cb, args, kw = self.tpl
            try:
                cb(*args, **kw)
            finally:
                self.tpl = None

    def cancel(self):
        """Disarm; it will not run."""
        if not self.called:
            self.called = True
            if self._timer is not None:
                self._timer.cancel()
            self.tpl = None

    def __lt__(self, other):
        return id(self) < id(other)


LocalTimer = Timer
