"""System calls and wake-ups of a server process over a window: how much kernel work one request costs.

A regression in the request path (one more recv per request, a poll that no longer batches) changes
these counts long before it shows in a noisy requests/s figure, and they mean the same on any machine.

perf (preferred): `perf stat -p PID` on two tracepoints, started disabled and switched on and off through
its control FIFO, so the window is exact:
  raw_syscalls:sys_enter                        every system call entered by the server's threads
  sched:sched_switch, filter `prev_state & 255`  a server thread leaving the CPU to sleep (a wait in
                                                 epoll_wait/poll/futex/read...): each one is a wake-up
                                                 later. Preemptions (state 0) are not counted.
Counters attached with -p are inherited by threads the server starts later (thread-per-connection
servers included). Enabling a syscall tracepoint slows every system call on the machine a little, so
callers count in a window of their own, never during a timed one.

strace (fallback where perf or its tracepoints are not allowed): `strace -c -f -p PID` counts the calls;
it stops the server at every call, so wake-ups are not measured (reported as None).
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

PERF_EVENTS = ["-e", "raw_syscalls:sys_enter", "-e", "sched:sched_switch", "--filter", "prev_state & 255"]
_TOOL = []


def tool():
    """'perf' or 'strace', whichever can count here (checked once), or None with neither."""
    if not _TOOL:
        found = None
        if shutil.which("perf"):
            p = subprocess.run(["perf", "stat", "-x,"] + PERF_EVENTS + ["true"], capture_output=True, text=True)
            if p.returncode == 0 and "raw_syscalls:sys_enter" in p.stderr and "<not" not in p.stderr:
                found = "perf"
        if found is None and shutil.which("strace"):
            found = "strace"
        _TOOL.append(found)
    return _TOOL[0]


class Counter:
    """Counts system calls and wake-ups of process ``pid`` (all its threads) between start() and stop().

    stop() returns {"syscalls": n, "wakeups": n or None, "tool": "perf"|"strace"}. Raises RuntimeError
    if neither tool can count (say so rather than report zeros).
    """

    def __init__(self, pid):
        self.pid = pid
        self.tool = tool()
        if self.tool is None:
            raise RuntimeError("neither perf (with tracepoints) nor strace can count system calls here; "
                               "install linux-perf or strace")
        self._dir = tempfile.mkdtemp(prefix="fasthub-count-")
        self._out = os.path.join(self._dir, "out")
        self._proc = None

    def start(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self):
        if self.tool == "perf":
            ctl, ack = os.path.join(self._dir, "ctl"), os.path.join(self._dir, "ack")
            os.mkfifo(ctl)
            os.mkfifo(ack)
            self._proc = subprocess.Popen(
                ["perf", "stat", "-x,", "-o", self._out, "-D", "-1", "--control", f"fifo:{ctl},{ack}",
                 "-p", str(self.pid)] + PERF_EVENTS, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            # Opening the FIFOs blocks until perf has opened its ends, i.e. until it is set up.
            self._ctl = open(ctl, "w")
            self._ack = open(ack)
            self._command("enable")
        else:
            self._proc = subprocess.Popen(["strace", "-c", "-f", "-o", self._out, "-p", str(self.pid)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            # strace says "Process N attached" for each thread; the first line means it is counting.
            line = self._proc.stderr.readline().decode(errors="replace")
            if "attached" not in line:
                raise RuntimeError(f"strace could not attach to {self.pid}: {line.strip()}")

    def _command(self, word):
        self._ctl.write(word + "\n")
        self._ctl.flush()
        reply = self._ack.readline().strip("\0\n")   # perf writes "ack\n" and its C string's NUL
        if reply != "ack":
            raise RuntimeError(f"perf did not acknowledge {word!r}: {reply!r} {self._stderr()}")

    def _stderr(self):
        if self._proc.poll() is None:
            return ""
        return self._proc.stderr.read().decode(errors="replace")[-1000:]

    def stop(self):
        try:
            if self.tool == "perf":
                self._command("disable")
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
                raise RuntimeError(f"{self.tool} did not stop")
            with open(self._out) as f:
                text = f.read()
        finally:
            self.close()
        return self._parse_perf(text) if self.tool == "perf" else self._parse_strace(text)

    def close(self):
        for name in ("_ctl", "_ack"):
            f = getattr(self, name, None)
            if f is not None:
                f.close()
                setattr(self, name, None)
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            self._proc.stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    @staticmethod
    def _parse_perf(text):
        counts = {}
        for line in text.splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2] in ("raw_syscalls:sys_enter", "sched:sched_switch"):
                if not fields[0].strip().isdigit():
                    raise RuntimeError(f"perf could not count {fields[2]}: {line}")
                counts[fields[2]] = int(fields[0])
        if len(counts) != 2:
            raise RuntimeError(f"unexpected perf output: {text[-500:]!r}")
        return {"syscalls": counts["raw_syscalls:sys_enter"], "wakeups": counts["sched:sched_switch"],
                "tool": "perf"}

    @staticmethod
    def _parse_strace(text):
        m = re.search(r"^-+\s*\n?\s*100\.00\s+[\d.]+\s+\d+\s+(\d+)", text, re.M) or \
            re.search(r"^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total", text, re.M)
        if not m:
            raise RuntimeError(f"unexpected strace output: {text[-500:]!r}")
        return {"syscalls": int(m.group(1)), "wakeups": None, "tool": "strace"}


def per_op(counts, ops):
    """{"syscalls_per_op": x, "wakeups_per_op": y or None, "count_tool": ...} for a round's dict."""
    if not ops:
        raise RuntimeError("no operation completed in the counting window")
    w = counts["wakeups"]
    return {"syscalls_per_op": counts["syscalls"] / ops, "wakeups_per_op": None if w is None else w / ops,
            "count_tool": counts["tool"], "count_ops": ops}


def _selftest():  # pragma: no cover - `python bench/_counters.py`: count a sleeping child
    p = subprocess.Popen(["python3", "-c", "import time\nfor _ in range(400): time.sleep(0.005)"])
    time.sleep(0.2)
    c = Counter(p.pid)
    c.start()
    time.sleep(1.0)
    print(c.stop())
    p.wait()


if __name__ == "__main__":
    _selftest()
