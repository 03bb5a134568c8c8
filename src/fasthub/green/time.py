"""Cooperative drop-in for the ``time`` module: ``sleep()`` parks only the calling green thread.

Everything else is the stdlib's ``time``.
"""

import time as _std
from operator import index as _index

from fasthub.core._hub import sleep as _hub_sleep
from fasthub.green._stdlib_like import like as _like

for _name in dir(_std):
    if not (_name.startswith("__") and _name.endswith("__")):
        globals()[_name] = getattr(_std, _name)
del _name


@_like(_std.sleep)
def sleep(secs, /):
    """Suspend the calling green thread for ``secs`` seconds (other green threads run meanwhile);
    sleep(0) lets every other ready green thread run once.

    Raises ValueError for a negative or NaN duration and TypeError for a non-number, as time.sleep
    does; BlockingInHubError if called from a hub callback.
    """
    if not isinstance(secs, float):
        secs = _index(secs)  # like the stdlib: ints and objects with __index__, else TypeError
    if secs != secs:
        raise ValueError("Invalid value NaN (not a number)")
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    _hub_sleep(secs)


__green__ = ["sleep"]
