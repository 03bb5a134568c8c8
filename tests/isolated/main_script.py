"""`python -m fasthub script.py args` and `python -m fasthub -m module args` patch everything
first and give the program python's own sys.argv, sys.path[0] and __main__."""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
target = os.path.join(here, "_main_target.py")


def run(args, cwd):
    proc = subprocess.run([sys.executable, "-m", "fasthub", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)
    return proc


proc = run([target, "a", "--b"], cwd="/")
assert proc.returncode == 0, proc.stderr
seen = json.loads(proc.stdout.splitlines()[-1])
assert seen["name"] == "__main__", seen
assert seen["argv"] == [target, "a", "--b"], seen
assert seen["path0"] == here, seen
assert seen["patched_thread"] and seen["patched_socket"], seen
assert seen["green_lock"] is True, seen
assert seen["main_module_is_me"], seen

proc = run(["-m", "_main_target", "x", "--exit-3"], cwd=here)
assert proc.returncode == 3, (proc.returncode, proc.stderr)
seen = json.loads(proc.stdout.splitlines()[-1])
assert seen["name"] == "__main__" and seen["argv"] == [target, "x", "--exit-3"], seen
assert seen["path0"] == here, seen

proc = run(["--no-thread", target], cwd="/")
seen = json.loads(proc.stdout.splitlines()[-1])
assert not seen["patched_thread"] and seen["patched_socket"], seen

proc = run(["--no-such-group", target], cwd="/")
assert proc.returncode == 2 and "unknown option" in proc.stderr, proc.stderr
proc = run([], cwd="/")
assert proc.returncode == 2 and "usage" in proc.stderr, proc.stderr
proc = run(["/nonexistent/script.py"], cwd="/")
assert proc.returncode == 2 and "can't open file" in proc.stderr, proc.stderr
proc = run(["doctor", "--help"], cwd="/")
assert proc.returncode in (0, 2) and ("not available" in proc.stderr or "usage" in proc.stdout + proc.stderr)
print("pass")
