"""``eventlet.tpool``: execute, Proxy, killall, set_num_threads are fasthub.tpool's (a pool of real
OS threads; the calling green thread waits, the hub keeps running). The pool size comes from
EVENTLET_THREADPOOL_SIZE as well as FASTHUB_THREADPOOL_SIZE."""

import os

from fasthub import tpool as _tpool
from fasthub.tpool import Proxy, execute, killall, set_num_threads

__all__ = ["execute", "Proxy", "killall", "set_num_threads"]

#: eventlet's switch to print exceptions raised in pool threads (they are always re-raised).
QUIET = True


def setup():
    """eventlet starts its threads here; fasthub starts them on first use."""


def get_num_threads():
    """The maximum number of pool threads."""
    return _tpool.get_num_threads()


if "EVENTLET_THREADPOOL_SIZE" in os.environ and "FASTHUB_THREADPOOL_SIZE" not in os.environ:
    try:
        _size = int(os.environ["EVENTLET_THREADPOOL_SIZE"])
    except ValueError:
        raise ValueError("EVENTLET_THREADPOOL_SIZE must be an integer, not "
                         f"{os.environ['EVENTLET_THREADPOOL_SIZE']!r}") from None
    if _size > 0:
        set_num_threads(_size)
