"""monkey_patch() selects groups like eventlet (True = only those, False = all but those), keeps
the originals, and is idempotent and silent when repeated."""
import socket
import threading
import time
import warnings

warnings.simplefilter("error")  # any warning fails this script

import fasthub  # noqa: E402
from fasthub import patcher  # noqa: E402

REAL = {"sleep": time.sleep, "socket": socket.socket}  # in a dict: a global would be "late"

try:
    fasthub.monkey_patch(sockets=True)
except TypeError as e:
    assert "sockets" in str(e)
else:
    raise AssertionError("an unknown keyword must raise TypeError")

fasthub.monkey_patch(all=False)
assert fasthub.patched() == {}, fasthub.patched()

fasthub.monkey_patch(time=True)
assert time.sleep is not REAL['sleep']
assert set(fasthub.patched()) == {"time"}, fasthub.patched()
assert patcher.is_monkey_patched("time") and not patcher.is_monkey_patched("socket")
green_sleep = time.sleep
fasthub.monkey_patch(time=True)
assert time.sleep is green_sleep

fasthub.monkey_patch(thread=False, socket=False)
assert socket.socket is REAL['socket']
assert not patcher.is_monkey_patched("thread") and not patcher.is_module_patched("threading")
assert patcher.is_monkey_patched("select") and patcher.is_module_patched("subprocess")
first = fasthub.patched()

fasthub.monkey_patch()
assert patcher.is_monkey_patched("thread") and patcher.is_monkey_patched("socket")
assert socket.socket is not REAL['socket']
second = fasthub.patched()
assert set(second) > set(first)
assert "threading" in second and "Lock" in second["threading"]
fasthub.monkey_patch()
fasthub.monkey_patch(socket=True)
assert fasthub.patched() == second
assert patcher.get_original("time", "sleep") is REAL['sleep']
assert patcher.get_original("socket", "socket") is REAL['socket']
assert time.sleep is green_sleep
assert threading.Lock is not patcher.get_original("threading", "Lock")
print("pass")
