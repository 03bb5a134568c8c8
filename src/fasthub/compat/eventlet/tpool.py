"""``eventlet.tpool``: execute, Proxy, killall, set_num_threads are fasthub.tpool's (a pool of real
OS threads; the calling green thread waits, the hub keeps running). The pool size comes from
EVENTLET_THREADPOOL_SIZE as well as FASTHUB_THREADPOOL_SIZE."""

import os

from fasthub import tpool as _tpool
from fasthub.tpool import Proxy, killall, set_num_threads

__all__ = ["execute", "Proxy", "killall", "set_num_threads"]

#: eventlet's switch to print exceptions raised in pool threads (they are always re-raised).
QUIET = True


def setup():
    """eventlet starts its threads here; fasthub starts them on first use."""


def get_num_threads():
    """The maximum number of pool threads."""
    return _tpool.get_num_threads()


_env_size = None
if "EVENTLET_THREADPOOL_SIZE" in os.environ:
    try:
        _env_size = int(os.environ["EVENTLET_THREADPOOL_SIZE"])
    except ValueError:
        raise ValueError("EVENTLET_THREADPOOL_SIZE must be an integer, not "
                         f"{os.environ['EVENTLET_THREADPOOL_SIZE']!r}") from None
    if _env_size > 0 and "FASTHUB_THREADPOOL_SIZE" not in os.environ:
        set_num_threads(_env_size)


def execute(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` in an OS thread of the pool; the calling green thread waits
    for its result (or exception). With EVENTLET_THREADPOOL_SIZE=0 it runs in the caller, with a
    RuntimeWarning, as in eventlet; a negative size is refused (AssertionError)."""
    if _env_size is not None and _env_size <= 0:
        if _env_size < 0:
            raise AssertionError(f"EVENTLET_THREADPOOL_SIZE must not be negative, got {_env_size}")
        import warnings
        warnings.warn("Zero threads in tpool. All tpool.execute calls will execute in the calling "
                      "thread. Check the value of the environment variable "
                      "EVENTLET_THREADPOOL_SIZE.", RuntimeWarning, stacklevel=2)
        return fn(*args, **kwargs)
    return _tpool.execute(fn, *args, **kwargs)

class Proxy(Proxy):
    """fasthub.tpool.Proxy with eventlet's extras: ``str()`` is the wrapped object's, and calling a
    proxied callable wraps the result when ``'__call__'`` is in ``autowrap_names``."""

    def __call__(self, *args, **kwargs):
        result = super().__call__(*args, **kwargs)
        if "__call__" in self._autowrap_names and not isinstance(result, Proxy):
            return Proxy(result, self._autowrap, self._autowrap_names)
        return result

    def _wrap(self, value, name=None):
        wrapped = super()._wrap(value, name)
        if type(wrapped) is _tpool.Proxy:
            return Proxy(wrapped._obj, self._autowrap, self._autowrap_names)
        return wrapped

    def __str__(self):
        return str(self._obj)

    def __repr__(self):
        return repr(self._obj)


def __getattr__(name):
    # eventlet's tests and tools read the pool size from tpool._nthreads.
    if name == "_nthreads":
        return _tpool.get_num_threads()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
