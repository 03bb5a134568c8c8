"""``eventlet.timeout``: fasthub's Timeout (``with Timeout(s): ...``, ``Timeout(s, False)`` for a
silent exit, ``cancel()``, ``pending``), plus eventlet's is_timeout helpers."""

from fasthub.sync.timeout import Timeout, with_timeout

__all__ = ["Timeout", "with_timeout", "wrap_is_timeout", "is_timeout"]


def is_timeout(obj):
    """True for a Timeout, a TimeoutError, or anything marked with a true ``is_timeout``."""
    return bool(getattr(obj, "is_timeout", False)) or isinstance(obj, (TimeoutError, Timeout))


def wrap_is_timeout(base):
    """A callable making ``base(...)`` objects that is_timeout() recognises (eventlet's helper for
    exception classes passed as Timeout's exception)."""

    def make(*args, **kwargs):
        obj = base(*args, **kwargs)
        try:
            obj.is_timeout = True
        except AttributeError:
            pass
        return obj

    if isinstance(base, type):
        return type(base.__name__, (base,), {"is_timeout": True, "__module__": base.__module__})
    return make
