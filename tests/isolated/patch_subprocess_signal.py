"""After monkey_patch(): subprocess.run/communicate/wait with timeouts and signal handlers keep the
hub running; a handler that raises interrupts the main program's blocking call."""
import fasthub

fasthub.monkey_patch()
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

ticks = []


def ticker(n):
    for _ in range(n):
        time.sleep(0.01)
        ticks.append(1)


t = fasthub.spawn(ticker, 15)
proc = subprocess.run([sys.executable, "-c", "import time; time.sleep(0.3); print('out')"],
                      capture_output=True, text=True, timeout=30)
assert proc.stdout == "out\n" and proc.returncode == 0
t.wait()
assert len(ticks) == 15, "the hub was blocked while the child ran"

t0 = time.monotonic()
try:
    subprocess.run(["sleep", "5"], timeout=0.2)
except subprocess.TimeoutExpired:
    pass
else:
    raise AssertionError("no TimeoutExpired")
assert time.monotonic() - t0 < 2.0

p = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.read().upper())"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, _ = p.communicate(b"x" * 300_000)  # bigger than a pipe buffer both ways
assert out == b"X" * 300_000 and p.returncode == 0


class Alarm(Exception):
    pass


def on_alarm(signum, frame):
    raise Alarm()


signal.signal(signal.SIGALRM, on_alarm)
assert signal.getsignal(signal.SIGALRM) is on_alarm
signal.setitimer(signal.ITIMER_REAL, 0.1)
t0 = time.monotonic()
try:
    time.sleep(5)
except Alarm:
    pass
else:
    raise AssertionError("the handler's exception did not reach the main program")
assert time.monotonic() - t0 < 2.0

slept = []


def slow_handler(signum, frame):
    time.sleep(0.01)  # may block: it runs in its own green thread
    slept.append(signum)


signal.signal(signal.SIGUSR1, slow_handler)
fasthub.spawn_after(0.02, signal.raise_signal, signal.SIGUSR1)
time.sleep(0.2)
assert slept == [signal.SIGUSR1], slept
print("pass")
