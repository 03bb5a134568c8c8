"""fork() gives the child a fresh hub: the parent's timers and green threads do not run there, the
child's own green threads do, and the parent's green waitpid does not block its hub."""
import os

import fasthub

fasthub.monkey_patch()
import time  # noqa: E402

parent_hub = fasthub.get_hub()
ran = []


def parent_only():
    time.sleep(0.1)
    ran.append(os.getpid())


fasthub.spawn(parent_only)
time.sleep(0)  # it is now parked on a timer in the parent's hub
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        hub = fasthub.get_hub()
        child_ran = fasthub.spawn(lambda: 42).wait()
        time.sleep(0.2)  # long enough for the parent's timer, had it been inherited
        ok = hub is not parent_hub and child_ran == 42 and os.getpid() not in ran
        os.write(w, b"ok" if ok else b"bad")
    finally:
        os._exit(0)
os.close(w)
ticks = []
ticker = fasthub.spawn(lambda: [ticks.append(time.sleep(0.01)) for _ in range(10)])
_, status = os.waitpid(pid, 0)  # green: the ticker runs meanwhile
assert os.waitstatus_to_exitcode(status) == 0
assert len(ticks) >= 5, ticks
assert os.read(r, 10) == b"ok"
ticker.wait()
assert ran == [os.getpid()]
print("pass")
