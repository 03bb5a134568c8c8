"""fasthub.green.subprocess, used directly (nothing patched in this process)."""

import io
import subprocess as std_subprocess
import sys
import time

import pytest

import fasthub
from fasthub.green import subprocess

PY = sys.executable


def _ticker(n, delay=0.01):
    ticks = []

    def run():
        for _ in range(n):
            fasthub.sleep(delay)
            ticks.append(1)
    return fasthub.spawn(run), ticks


def test_popen_is_the_stdlib_class_with_green_pipes():
    p = subprocess.Popen([PY, "-c", "print('hi')"], stdout=subprocess.PIPE, stdin=subprocess.PIPE)
    assert isinstance(p, std_subprocess.Popen)
    assert isinstance(p.stdout, io.BufferedReader) and isinstance(p.stdin, io.BufferedWriter)
    out, err = p.communicate()
    assert out == b"hi\n" and err is None and p.returncode == 0


def test_communicate_large_both_ways_while_the_hub_runs():
    ticker, ticks = _ticker(10)
    p = subprocess.Popen([PY, "-c", "import sys; d = sys.stdin.buffer.read(); "
                                    "sys.stdout.buffer.write(d[::-1]); sys.stderr.write('e' * 70000)"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    data = bytes(range(256)) * 2000  # 512 KB: far more than a pipe buffer
    out, err = p.communicate(data, timeout=30)
    assert out == data[::-1] and err == b"e" * 70000 and p.returncode == 0
    ticker.wait()
    assert len(ticks) == 10


def test_text_mode_and_universal_newlines():
    p = subprocess.Popen([PY, "-c", "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read()"
                                    ".replace(b'\\n', b'\\r\\n'))"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate("a\nb\n")
    assert out == "a\nb\n"
    p = subprocess.Popen([PY, "-c", "print('x'); print('y')"], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "x\n" and p.stdout.read() == "y\n"
    p.stdout.close()
    assert p.wait() == 0


def test_communicate_timeout_then_retry_gets_everything():
    p = subprocess.Popen([PY, "-c", "import sys, time; print('first', flush=True); time.sleep(0.3); "
                                    "print('second')"], stdout=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired) as info:
        p.communicate(timeout=0.1)
    assert info.value.output == b"first\n"
    out, _ = p.communicate(timeout=10)
    assert out == b"first\nsecond\n"


def test_wait_timeout_and_wait():
    p = subprocess.Popen([PY, "-c", "import time; time.sleep(0.3)"])
    ticker, ticks = _ticker(5)
    t0 = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        p.wait(timeout=0.05)
    assert time.monotonic() - t0 < 0.25
    assert p.wait() == 0
    assert p.poll() == 0
    ticker.wait()


def test_run_check_output_call_check_call():
    r = subprocess.run([PY, "-c", "import sys; print(sys.stdin.read().upper())"], input=b"abc",
                       capture_output=True, check=True)
    assert r.stdout == b"ABC\n" and r.returncode == 0
    assert subprocess.check_output([PY, "-c", "print(42)"], text=True) == "42\n"
    assert subprocess.call([PY, "-c", "raise SystemExit(3)"]) == 3
    with pytest.raises(subprocess.CalledProcessError) as info:
        subprocess.check_call([PY, "-c", "raise SystemExit(4)"])
    assert info.value.returncode == 4
    t0 = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([PY, "-c", "import time; time.sleep(5)"], capture_output=True, timeout=0.2)
    assert time.monotonic() - t0 < 3


def test_children_run_concurrently():
    t0 = time.monotonic()
    gts = [fasthub.spawn(subprocess.run, [PY, "-c", "import time; time.sleep(0.3)"])
           for _ in range(5)]
    fasthub.joinall(gts, raise_error=True)
    assert all(gt.value.returncode == 0 for gt in gts)
    assert time.monotonic() - t0 < 1.4  # 5 x 0.3 s overlapping; in series it would take > 1.5 s


def test_missing_program_raises_like_stdlib():
    with pytest.raises(FileNotFoundError):
        subprocess.Popen(["/nonexistent/program"])


def test_broken_pipe_is_ignored_by_communicate():
    p = subprocess.Popen([PY, "-c", "pass"], stdin=subprocess.PIPE)
    p.wait()
    p.communicate(b"x" * (1 << 20))
    assert p.returncode == 0


def test_pipeline_child_inherits_a_blocking_pipe():
    # Passing p1.stdout on as p2's stdin shares the open pipe with p2: it must stay blocking there
    # (a non-blocking stdin makes the reader fail with EAGAIN when p1 is slower).
    p1 = subprocess.Popen([PY, "-c", "import time; time.sleep(0.2); print('through the pipe')"],
                          stdout=subprocess.PIPE)
    p2 = subprocess.Popen([PY, "-c", "import sys; sys.stdout.write(sys.stdin.read().upper())"],
                          stdin=p1.stdout, stdout=subprocess.PIPE)
    p1.stdout.close()
    out, _ = p2.communicate(timeout=30)
    assert out == b"THROUGH THE PIPE\n" and p2.returncode == 0 and p1.wait() == 0
