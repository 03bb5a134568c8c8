"""``fasthub.debug``: the public path of the blocking-call warnings (``enable()``, ``disable()``).

The code lives in ``fasthub.safety.debug``.
"""

from fasthub.safety.debug import *  # noqa: F401,F403
from fasthub.safety.debug import BlockingCallWarning, __all__, disable, enable, enabled  # noqa: F401
