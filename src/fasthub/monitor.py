"""``fasthub.monitor``: the public path of the blocking monitor (``start()``, ``stop()``, ``report()``).

The code lives in ``fasthub.safety.monitor``.
"""

from fasthub.safety.monitor import *  # noqa: F401,F403
from fasthub.safety.monitor import (  # noqa: F401
    BlockingTimeout, BlockReport, Monitor, __all__, active, report, start, stop,
)
