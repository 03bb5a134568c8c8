"""A non-daemon green threading.Thread still running when the main program ends is joined at
interpreter exit, like a real thread; a daemon one is not."""
import subprocess
import sys

code = r"""
import fasthub
fasthub.monkey_patch()
import threading, time
def work(tag, delay):
    time.sleep(delay)
    print(tag, flush=True)
threading.Thread(target=work, args=("non-daemon done", 0.2)).start()
threading.Thread(target=work, args=("daemon done", 5), daemon=True).start()
print("main done", flush=True)
"""
proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
assert proc.returncode == 0, proc.stderr
assert proc.stdout.splitlines() == ["main done", "non-daemon done"], (proc.stdout, proc.stderr)
assert not proc.stderr, proc.stderr
print("pass")
