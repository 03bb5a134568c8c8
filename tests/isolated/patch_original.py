"""original(): the real time.sleep, a real socket class, and a threading whose Thread is an OS
thread, whose Lock is a real lock; while everything is patched."""
import socket
import time

REAL = {"sleep": time.sleep}  # in a dict: a module global would be reported as late-bound

import fasthub  # noqa: E402
from fasthub import patcher  # noqa: E402

fasthub.monkey_patch()
import _thread  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

assert time.sleep is not REAL['sleep']
assert patcher.original("time").sleep is REAL['sleep']
assert patcher.original("socket").socket is not socket.socket
s = patcher.original("socket").socket()
assert not isinstance(s, type(socket.socket())) or type(s) is not socket.socket
s.close()

real_threading = patcher.original("threading")
assert real_threading is patcher.original("threading")  # cached
assert real_threading is not threading
assert type(real_threading.Lock()) is not type(threading.Lock())

# A real OS thread: it runs while the main thread blocks the hub with the real sleep.
seen = {}


def in_os_thread():
    seen["ident"] = patcher.get_original("_thread", "get_ident")()
    seen["frames"] = len(sys._current_frames())


t = real_threading.Thread(target=in_os_thread)
t.start()
t.join()
assert seen["frames"] == 2, seen
assert seen["ident"] != patcher.get_original("_thread", "get_ident")()

# A green lock shared with that real thread works both ways.
glock = threading.Lock()
glock.acquire()
released = []


def release_from_os_thread():
    REAL['sleep'](0.05)
    released.append(True)
    glock.release()


t = real_threading.Thread(target=release_from_os_thread)
t.start()
ticks = []
ticker = fasthub.spawn(lambda: [ticks.append(fasthub.sleep(0.005)) for _ in range(5)])
assert glock.acquire(timeout=5)  # parks this green thread; the hub keeps running the ticker
assert released == [True]
ticker.wait()
t.join()
assert len(ticks) == 5
print("pass")
