"""fasthub: green threads for Python with a compiled hub.

Write plain blocking-style code; run thousands of green threads in one OS thread. See README.md.
"""

try:
    from fasthub.core._hub import (
        BlockingInHubError,
        ConcurrentUseError,
        FdClosedError,
        Hub,
        LoopExit,
        Waiter,
        get_hub,
        monotonic,
        notify_close,
        sleep,
        wait_read,
        wait_write,
    )
except ImportError as _e:  # pragma: no cover - exercised by tests/test_packaging.py in a subprocess
    if "fasthub.core._hub" in str(_e) or "_hub" in str(_e):
        raise ImportError(
            "fasthub's compiled hub (fasthub.core._hub) is not built. From a source checkout run "
            "`make build` (or `pip install .`, which compiles it with Cython); "
            f"original error: {_e}"
        ) from _e
    raise

from greenlet import GreenletExit

from fasthub.core._waitlist import ParkTimeout, WaitList
from fasthub.core._greenthread import (
    GreenThread,
    getcurrent,
    joinall,
    kill,
    spawn,
    spawn_after,
    spawn_later,
    spawn_n,
)

# Cooperative safety. Imported eagerly: the monitor must capture the real OS-thread functions before
# anything can monkey-patch them. ``fasthub.monitor`` and ``fasthub.debug`` are the public paths of
# fasthub.safety.monitor and fasthub.safety.debug.
from fasthub import debug, monitor
from fasthub.safety import debug as _debug, monitor as _monitor
from fasthub.safety.monitor import BlockingTimeout
from fasthub.safety import top as _top
from fasthub.safety.stats import stats

# The OS-thread pool (fasthub.sync.tpool), imported eagerly for the same reason: it keeps the real
# _thread functions.
from fasthub import tpool

# Green primitives. Imported eagerly too: locks and queues keep a real _thread mutex.
from fasthub.sync.timeout import Timeout, with_timeout
from fasthub.sync.event import AsyncResult, Event
from fasthub.sync.locks import BoundedSemaphore, Condition, Lock, RLock, Semaphore
from fasthub.sync.queue import Empty, Full, LifoQueue, LightQueue, PriorityQueue, Queue
from fasthub.sync.pool import GreenPile, GreenPool

# Structured concurrency: cancel scopes (compiled: every wait consults them) and task groups.
from fasthub.core._cancel import CancelScope, Cancelled, fail_after, move_on_after
from fasthub.sync.groups import TaskGroup

# Servers (eventlet's convenience names and gevent's StreamServer).
from fasthub.web.server import StreamServer
from fasthub.web.convenience import StopServe, connect, listen, serve, wrap_ssl

__version__ = "0.1.0"

__all__ = [
    # hub
    "get_hub", "Hub", "sleep", "wait_read", "wait_write", "notify_close", "monotonic", "Waiter",
    "WaitList",
    # green threads
    "spawn", "spawn_n", "spawn_after", "spawn_later", "GreenThread", "getcurrent", "kill", "joinall",
    # errors
    "GreenletExit", "LoopExit", "ConcurrentUseError", "BlockingInHubError", "FdClosedError",
    "ParkTimeout",
    # cooperative safety and seeing inside
    "monitor", "debug", "BlockingTimeout", "stats",
    # OS-thread pool
    "tpool",
    # primitives
    "Timeout", "with_timeout", "Event", "AsyncResult", "Semaphore", "BoundedSemaphore", "Lock",
    "RLock", "Condition", "Queue", "LifoQueue", "PriorityQueue", "LightQueue", "Empty", "Full",
    "GreenPool", "GreenPile",
    # structured concurrency
    "TaskGroup", "CancelScope", "Cancelled", "move_on_after", "fail_after",
    # monkey patching
    "monkey_patch", "patched", "import_patched",
    # servers
    "StreamServer", "listen", "connect", "serve", "StopServe", "wrap_ssl",
]

# Monkey patching is loaded on first use (fasthub.monkey_patch, fasthub.patched, fasthub.patcher):
# importing fasthub or a green module patches nothing and does not load the patcher.
_LAZY = ("monkey_patch", "patched", "import_patched", "patcher")


def __getattr__(name):
    """Load the patcher the first time one of its names is used (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'fasthub' has no attribute {name!r}")
    import fasthub.patcher  # not `from fasthub import patcher`: that would ask this hook again

    patcher = fasthub.patcher
    value = patcher if name == "patcher" else getattr(patcher, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


_monitor._start_from_environment()
_debug._enable_from_environment()
_top._start_from_environment()
