"""fasthub: green threads for Python with a compiled hub.

Write plain blocking-style code; run thousands of green threads in one OS thread. See README.md.
"""

try:
    from fasthub._hub import (
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
    if "fasthub._hub" in str(_e) or "_hub" in str(_e):
        raise ImportError(
            "fasthub's compiled hub (fasthub._hub) is not built. From a source checkout run "
            "`make build` (or `pip install .`, which compiles it with Cython); "
            f"original error: {_e}"
        ) from _e
    raise

from greenlet import GreenletExit

from fasthub._greenthread import (
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
# anything can monkey-patch them.
from fasthub import debug, monitor
from fasthub.monitor import BlockingTimeout

# The OS-thread pool, imported eagerly for the same reason: it keeps the real _thread functions.
from fasthub import tpool

# Green primitives. Imported eagerly too: locks and queues keep a real _thread mutex.
from fasthub.timeout import Timeout, with_timeout
from fasthub.event import AsyncResult, Event
from fasthub.locks import BoundedSemaphore, Condition, Lock, RLock, Semaphore
from fasthub.queue import Empty, Full, LifoQueue, LightQueue, PriorityQueue, Queue
from fasthub.pool import GreenPile, GreenPool

# Monkey patching (importing the patcher also arms the hub reset in a fork()ed child).
from fasthub.patcher import import_patched, monkey_patch, patched

# Servers (eventlet's convenience names and gevent's StreamServer).
from fasthub.server import StreamServer
from fasthub.convenience import StopServe, connect, listen, serve, wrap_ssl

__version__ = "0.1.0"

__all__ = [
    # hub
    "get_hub", "Hub", "sleep", "wait_read", "wait_write", "notify_close", "monotonic", "Waiter",
    # green threads
    "spawn", "spawn_n", "spawn_after", "spawn_later", "GreenThread", "getcurrent", "kill", "joinall",
    # errors
    "GreenletExit", "LoopExit", "ConcurrentUseError", "BlockingInHubError", "FdClosedError",
    # cooperative safety
    "monitor", "debug", "BlockingTimeout",
    # OS-thread pool
    "tpool",
    # primitives
    "Timeout", "with_timeout", "Event", "AsyncResult", "Semaphore", "BoundedSemaphore", "Lock",
    "RLock", "Condition", "Queue", "LifoQueue", "PriorityQueue", "LightQueue", "Empty", "Full",
    "GreenPool", "GreenPile",
    # monkey patching
    "monkey_patch", "patched", "import_patched",
    # servers
    "StreamServer", "listen", "connect", "serve", "StopServe", "wrap_ssl",
]

monitor._start_from_environment()
debug._enable_from_environment()
