"""Green ``subprocess``: ``Popen`` whose pipes, ``communicate()`` and ``wait()`` park only the calling
green thread; ``run``, ``call``, ``check_call`` and ``check_output`` built on it.

``Popen`` is a subclass of the stdlib class (CPython starts the child exactly as usual, with
``_posixsubprocess.fork_exec``). Afterwards its ``stdin``/``stdout``/``stderr`` are wrapped in green
file objects (same type of object as the stdlib gives: raw, buffered or text), so ``p.stdout.read()``
or ``readline()`` waits in the hub. The pipes stay in blocking mode: O_NONBLOCK belongs to the open
file, which another process shares when a pipe is passed on (``Popen(..., stdin=p1.stdout)``, the
classic pipeline) and which would then fail with EAGAIN. So each read first waits until the pipe is
readable (the read then returns what is there), and each write waits until it is writable and
writes at most PIPE_BUF bytes (which a writable pipe takes without blocking), as the stdlib's own
``communicate()`` does. ``communicate()`` feeds and drains the pipes
in green threads; after a ``TimeoutExpired`` those keep running, so calling it again returns the whole
output, as with the stdlib. ``wait()`` parks on a pidfd (Linux) or polls with back-off; both honour
``timeout`` and raise ``TimeoutExpired``. Every other name is the stdlib's ``subprocess``.
"""

import errno as _errno
import inspect as _inspect
import io as _io
import os as _os
import select as _select
import subprocess as _std
import types as _types

from fasthub.core._greenthread import spawn as _spawn
from fasthub.core._hub import (
    FdClosedError as _FdClosedError,
    monotonic as _monotonic,
    notify_close as _notify_close,
    sleep as _sleep,
    wait_read as _wait_read,
    wait_write as _wait_write,
)
from fasthub.core.originals import get_original
from fasthub.green import _thread as _gthread
from fasthub.green._stdlib_like import like as _like

for _name in dir(_std):
    if not _name.startswith("__"):
        globals()[_name] = getattr(_std, _name)
del _name

# Only Popen is put into the stdlib module by monkey_patch(): the stdlib's run(), call() ... look it up
# there, so they become green too (and mock.patch("subprocess.Popen") keeps working).
__green__ = ["Popen"]

_pidfd_open = getattr(_os, "pidfd_open", None)
_real_read = get_original("os", "read")
_real_write = get_original("os", "write")


class GreenFileIO(_io.FileIO):
    """A FileIO on a pipe whose reads and writes first park the green thread until the pipe is
    ready, then do one system call that cannot block (see the module docstring)."""

    def readinto(self, buffer):
        _wait_read(self.fileno())
        return super().readinto(buffer)

    def read(self, size=-1):
        if size is None or size < 0:
            return self.readall()
        _wait_read(self.fileno())
        return super().read(size)

    def readall(self):
        chunks = []
        while True:
            _wait_read(self.fileno())
            data = super().read(_io.DEFAULT_BUFFER_SIZE * 4)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def write(self, data):
        _wait_write(self.fileno())
        return super().write(memoryview(data)[:_PIPE_BUF])

    def close(self):
        if not self.closed:
            try:
                _notify_close(self.fileno())
            except Exception:  # no hub left (interpreter teardown): nobody can be waiting
                pass
        super().close()


def _green_file(f, bufsize):
    # Rebuild the stdlib's pipe object ``f`` (raw, buffered or text) on a green, non-blocking fd,
    # with the buffer size io.open() gave it.
    if f is None:
        return None
    text = isinstance(f, _io.TextIOWrapper)
    binary = f.buffer if text else f
    writing = binary.writable()
    fd = _os.dup(f.fileno())  # ours to close (after notify_close); f is closed below
    try:
        raw = GreenFileIO(fd, "wb" if writing else "rb", closefd=True)
    except BaseException:
        _os.close(fd)
        raise
    size = bufsize if bufsize > 1 else (raw._blksize if raw._blksize > 1 else _io.DEFAULT_BUFFER_SIZE)
    if isinstance(binary, _io.FileIO):
        new = raw
    elif writing:
        new = _io.BufferedWriter(raw, size)
    else:
        new = _io.BufferedReader(raw, size)
    if text:
        new = _io.TextIOWrapper(new, encoding=f.encoding, errors=f.errors,
                                line_buffering=f.line_buffering, write_through=f.write_through)
    f.close()
    return new


@_like(_std.Popen, signature=True)
class Popen(_std.Popen):
    """stdlib subprocess.Popen whose pipe I/O, communicate() and wait() park only the calling green
    thread. Raises what the stdlib raises (TimeoutExpired, OSError when the program cannot run)."""

    _fh_io = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bufsize = _SIGNATURE.bind(self, *args, **kwargs).arguments.get("bufsize", -1)
        if bufsize is None:
            bufsize = -1
        self._waitpid_lock = _gthread.allocate_lock()
        self.stdin = _green_file(self.stdin, bufsize)
        self.stdout = _green_file(self.stdout, bufsize)
        self.stderr = _green_file(self.stderr, bufsize)

    # -- waiting for the child ----------------------------------------------------------------------

    def _fh_wait_exit(self, deadline):
        # Park until the child may have exited, or the deadline; False if the deadline passed.
        remaining = None if deadline is None else deadline - _monotonic()
        if remaining is not None and remaining <= 0:
            return False
        pidfd = None
        if _pidfd_open is not None:
            try:
                pidfd = _pidfd_open(self.pid)
            except OSError:
                pidfd = None
        if pidfd is None:
            self._fh_delay = min(getattr(self, "_fh_delay", 0.0005) * 2, 0.05)
            _sleep(self._fh_delay if remaining is None else min(self._fh_delay, remaining))
            return True
        try:
            _wait_read(pidfd, remaining, _Timeout)
            return True
        except _Timeout:
            return False
        finally:
            _notify_close(pidfd)
            _os.close(pidfd)

    def _try_wait(self, wait_flags):
        try:
            # os.waitpid looked up now (not captured): with WNOHANG the green one is the real one,
            # and tests mock subprocess.os.waitpid.
            return _os.waitpid(self.pid, wait_flags | _os.WNOHANG)
        except ChildProcessError:
            # SIGCHLD ignored or the child reaped elsewhere: it is gone, its status is lost.
            return (self.pid, 0)

    def _wait(self, timeout):
        if self.returncode is not None:
            return self.returncode
        deadline = None if timeout is None else _monotonic() + timeout
        while self.returncode is None:
            with self._waitpid_lock:
                if self.returncode is not None:
                    break
                pid, sts = self._try_wait(0)
                if pid == self.pid:
                    self._handle_exitstatus(sts)
                    break
            if not self._fh_wait_exit(deadline):
                raise TimeoutExpired(self.args, timeout)
        return self.returncode

    # -- pipes ---------------------------------------------------------------------------------------

    # The feeder and drainers use the pipes' fds directly, like the stdlib's _communicate(): never
    # the buffered objects, which close() from another green thread must not find busy.

    def _fh_feed(self, data):
        f = self.stdin
        view = memoryview(data)
        try:
            fd = f.fileno()
            while view:
                _wait_write(fd)
                view = view[_real_write(fd, view[:_PIPE_BUF]):]
        except BrokenPipeError:
            pass  # the child stopped reading: like the stdlib, communicate() ignores it
        except (_FdClosedError, ValueError):
            return  # closed by another green thread (Popen.__exit__ after a timeout)
        except OSError as e:
            if e.errno != _errno.EINVAL:
                raise
        try:
            f.close()
        except BrokenPipeError:
            pass

    def _fh_drain(self, f, chunks):
        try:
            fd = f.fileno()
            while True:
                _wait_read(fd)
                data = _real_read(fd, 32768)
                if not data:
                    break
                chunks.append(data)
        except (_FdClosedError, ValueError):
            return  # closed by another green thread (Popen.__exit__ after a timeout)
        f.close()

    def _communicate(self, input, endtime, orig_timeout):
        if self._fh_io is None:
            if self.stdin and not self._communication_started:
                try:
                    self.stdin.flush()
                except BrokenPipeError:
                    pass
                if not input:
                    try:
                        self.stdin.close()
                    except BrokenPipeError:
                        pass
            outputs = {}
            workers = []
            if self.stdin and input and not self.stdin.closed:
                data = input
                if self.text_mode:
                    data = input.encode(self.stdin.encoding, self.stdin.errors)
                workers.append(_spawn(self._fh_feed, data))
            for f in (self.stdout, self.stderr):
                if f is not None:
                    chunks = outputs[f] = []
                    if not f.closed:
                        workers.append(_spawn(self._fh_drain, f, chunks))
            self._fh_io = (workers, outputs)
        workers, outputs = self._fh_io
        for gt in workers:
            remaining = self._remaining_time(endtime)
            if not gt.join(None if remaining is None else max(remaining, 0)):
                out = outputs.get(self.stdout)
                err = outputs.get(self.stderr)
                raise TimeoutExpired(self.args, orig_timeout,
                                     output=b"".join(out) if out else None,
                                     stderr=b"".join(err) if err else None)
        for gt in workers:
            gt.wait()  # re-raise what a feeder or drainer met (other than the ignored pipe errors)
        self.wait(timeout=self._remaining_time(endtime))
        stdout = stderr = None
        if self.stdout is not None:
            stdout = b"".join(outputs[self.stdout])
            if self.text_mode:
                stdout = self._translate_newlines(stdout, self.stdout.encoding, self.stdout.errors)
        if self.stderr is not None:
            stderr = b"".join(outputs[self.stderr])
            if self.text_mode:
                stderr = self._translate_newlines(stderr, self.stderr.encoding, self.stderr.errors)
        return (stdout, stderr)


class _Timeout(Exception):
    pass


_PIPE_BUF = getattr(_select, "PIPE_BUF", 512)  # what a writable pipe takes without blocking
_SIGNATURE = _inspect.signature(_std.Popen.__init__)


# run(), call(), check_call() and check_output() are the stdlib's own functions, bound to a namespace
# where Popen (and each other) are the green ones: the exact behaviour of the running CPython.
_namespace = dict(vars(_std))


def _rebind(func):
    new = _types.FunctionType(func.__code__, _namespace, func.__name__, func.__defaults__,
                              func.__closure__)
    new.__kwdefaults__ = func.__kwdefaults__
    new.__doc__ = func.__doc__
    new.__qualname__ = func.__qualname__
    new.__module__ = __name__
    return new


run = _rebind(_std.run)
call = _rebind(_std.call)
check_call = _rebind(_std.check_call)
check_output = _rebind(_std.check_output)
_namespace.update(Popen=Popen, run=run, call=call, check_call=check_call, check_output=check_output)
