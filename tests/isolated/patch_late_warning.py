"""Patching after modules captured originals warns once, naming the module, the lock and the
OS thread; a clean patch does not warn."""
import threading
import time
import warnings

import _late_helper  # noqa: F401  (did `from socket import socket`, made a Lock)

from time import sleep as early_sleep  # noqa: F401

stop = threading.Event()
early = threading.Thread(target=stop.wait, name="early-worker")
early.start()

import fasthub  # noqa: E402

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    fasthub.monkey_patch()
late = [w for w in caught if issubclass(w.category, fasthub.patcher.LatePatchWarning)]
assert len(late) == 1, [str(w.message) for w in caught]
msg = str(late[0].message)
assert late[0].filename == __file__, late[0].filename  # points at the monkey_patch() call
for needle in ("'_late_helper' holds the original socket.socket",
               "'__main__' holds the original time.sleep as 'early_sleep'",
               "module '_late_helper': MODULE_LOCK = threading.Lock()",
               "class _late_helper.Server holds the original",
               "as its attribute 'lock_class'",
               "OS thread 'early-worker'"):
    assert needle in msg, f"{needle!r} not in:\n{msg}"

# Patching again warns about nothing new.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    fasthub.monkey_patch()
assert not caught, [str(w.message) for w in caught]
stop.set()  # stop is a real Event made before patching: set() from here wakes the real thread
early.join()
print("pass")
