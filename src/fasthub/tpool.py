"""``fasthub.tpool``: the public path of the OS-thread pool (``execute()``, ``to_thread()``, ``Proxy``).

The code lives in ``fasthub.sync.tpool``.
"""

from fasthub.sync.tpool import *  # noqa: F401,F403
from fasthub.sync.tpool import (  # noqa: F401
    Proxy, __all__, execute, get_num_threads, killall, set_num_threads, to_thread,
)
