"""``python -m fasthub top PID``: a live view of a running fasthub process; FASTHUB_STATS=1 serves it.

The process side. With FASTHUB_STATS=1 in its environment, importing fasthub starts a small OS thread
(fasthub's own, like the monitor's: it never runs on a hub, so it answers even while a hub is stuck)
that listens on a Unix socket and answers each connection with one ``fasthub.stats()`` snapshot as a
line of JSON. Never TCP. The socket lives in a private directory, ``$FASTHUB_STATS_DIR`` or else
``fasthub-<uid>`` under ``$XDG_RUNTIME_DIR`` or the temporary directory, made with mode 0700 and
refused if another user owns it or others may enter it; the socket itself is mode 0600 and named
``<pid>.sock``. A forked child (``python -m fasthub.wsgi --workers``) serves its own. Without
FASTHUB_STATS nothing runs and nothing is listening: stats cost nothing.

The viewer side. ``python -m fasthub top PID`` connects every second and redraws the terminal: per
hub, its loop rates and queue depths, green threads by state and by wait site, the green threads
themselves (what each waits on, where), and the monitor's longest stalls. ``--json`` prints one
snapshot for tools and exits.
"""

import argparse
import atexit
import json
import os
import stat
import sys
import tempfile
import time
from _socket import AF_UNIX, SOCK_STREAM, socket as _raw_socket  # the C socket: never patched
from _thread import get_ident as _os_get_ident, start_new_thread as _os_start_thread

from fasthub.core._hub import register_internal_thread, unregister_internal_thread

__all__ = ["socket_dir", "socket_path", "serve", "stop", "fetch", "render", "main"]

# --- where the socket lives --------------------------------------------------------------------------


def socket_dir():
    """The private directory of this user's stats sockets (not created here)."""
    base = os.environ.get("FASTHUB_STATS_DIR")
    if base:
        return base
    root = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return os.path.join(root, f"fasthub-{os.getuid()}")


def socket_path(pid):
    """Where process ``pid`` serves its stats."""
    return os.path.join(socket_dir(), f"{int(pid)}.sock")


def _check_private(directory):
    # Refuse a directory someone else could have prepared: it must be ours, a real directory (not a
    # symlink), and closed to group and others.
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode):
        raise PermissionError(f"fasthub stats: {directory} is not a directory")
    if st.st_uid != os.getuid():
        raise PermissionError(f"fasthub stats: {directory} belongs to uid {st.st_uid}, not to us")
    if st.st_mode & 0o077:
        raise PermissionError(f"fasthub stats: {directory} is open to other users "
                              f"(mode {stat.S_IMODE(st.st_mode):o}); it must be 0700")


def _private_dir():
    directory = socket_dir()
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    _check_private(directory)
    _remove_stale(directory)
    return directory


def _remove_stale(directory):
    # Sockets left by processes that died without running atexit (SIGKILL, SIGTERM's default).
    for name in os.listdir(directory):
        pid, _, ext = name.partition(".")
        if ext != "sock" or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass
        except OSError:
            pass   # alive, someone else's (EPERM): not ours to remove


# --- serving -----------------------------------------------------------------------------------------

class _Server:
    def __init__(self, path):
        self.path = path
        self.pid = os.getpid()
        self.running = True
        self.sock = _raw_socket(AF_UNIX, SOCK_STREAM)
        try:
            os.unlink(path)   # a stale socket of a dead process that had our pid
        except FileNotFoundError:
            pass
        # The directory is 0700, so nobody else can reach the socket in the moment before chmod.
        self.sock.bind(path)
        os.chmod(path, 0o600)
        self.sock.listen(16)
        _os_start_thread(self._run, ())

    def _run(self):
        ident = _os_get_ident()
        register_internal_thread(ident)
        try:
            while self.running:
                try:
                    fd, _ = self.sock._accept()   # the C socket's accept: (fd, address)
                except OSError:
                    break
                conn = _raw_socket(AF_UNIX, SOCK_STREAM, 0, fd)
                try:
                    if self.running:
                        self._answer(conn)
                except OSError:
                    pass   # the viewer went away
                finally:
                    conn.close()
        finally:
            unregister_internal_thread(ident)

    def _answer(self, conn):
        from fasthub.safety.stats import stats
        try:
            data = json.dumps(stats(), default=repr).encode() + b"\n"
        except Exception as e:   # report it to the viewer; the server carries on
            data = json.dumps({"error": f"{type(e).__name__}: {e}"}).encode() + b"\n"
        conn.settimeout(5.0)
        conn.sendall(data)

    def stop(self):
        self.running = False
        try:
            if os.getpid() == self.pid:
                os.unlink(self.path)
        except OSError:
            pass
        try:
            # Wake the accept() with a connection of our own, then close.
            s = _raw_socket(AF_UNIX, SOCK_STREAM)
            s.settimeout(1.0)
            try:
                s.connect(self.path)
            except OSError:
                pass
            s.close()
        finally:
            self.sock.close()


_server = None


def serve():
    """Serve fasthub.stats() on this process's Unix socket (see the module docstring); idempotent.
    Returns the socket path. Raises PermissionError if the private directory is not private."""
    global _server
    if _server is not None and _server.pid == os.getpid():
        return _server.path
    _server = _Server(os.path.join(_private_dir(), f"{os.getpid()}.sock"))
    return _server.path


def stop():
    """Stop serving and remove the socket, if serving."""
    global _server
    server, _server = _server, None
    if server is not None and server.pid == os.getpid():
        server.stop()


def _after_fork_in_child():
    # The serving thread did not survive the fork; the child serves its own socket.
    global _server
    if _server is not None:
        _server = None
        try:
            serve()
        except OSError:
            pass


def _start_from_environment():
    if os.environ.get("FASTHUB_STATS", "") in ("", "0"):
        return
    try:
        serve()
    except OSError as e:
        # Diagnostics must not take the program down: say why, loudly, and run without them.
        sys.stderr.write(f"fasthub: FASTHUB_STATS is set but stats are not served: {e}\n")
        return
    atexit.register(stop)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)


# --- viewing -----------------------------------------------------------------------------------------

def fetch(pid, timeout=5.0):
    """One stats snapshot of process ``pid`` (a dict). Raises FileNotFoundError if it does not serve
    stats (not started with FASTHUB_STATS=1, or not a fasthub process), PermissionError if the
    socket directory is not private."""
    path = socket_path(pid)
    if os.path.isdir(os.path.dirname(path)):
        _check_private(os.path.dirname(path))
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"process {pid} serves no fasthub stats at {path}: start it with FASTHUB_STATS=1 "
            f"(and the same FASTHUB_STATS_DIR / XDG_RUNTIME_DIR as this shell)")
    s = _raw_socket(AF_UNIX, SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        s.close()
    return json.loads(b"".join(chunks))


def _rate(now, before, key, elapsed):
    if before is None or elapsed <= 0:
        return ""
    return f" ({(now[key] - before[key]) / elapsed:,.0f}/s)"


def render(snap, previous=None, width=100, max_rows=20):
    """The text of one screen of ``top`` for snapshot ``snap`` (rates against ``previous``)."""
    if "error" in snap:
        return f"fasthub stats error: {snap['error']}\n"
    lines = [f"fasthub top - pid {snap['pid']} - {time.strftime('%H:%M:%S', time.localtime(snap['time']))}"]
    elapsed = snap["time"] - previous["time"] if previous else 0
    before_hubs = {h["thread"]: h for h in previous["hubs"]} if previous else {}
    for hub in snap["hubs"]:
        before = before_hubs.get(hub["thread"])
        gts = hub["green_threads"]
        lines.append("")
        lines.append(f"hub of thread {hub['thread_name']} ({hub['backend']}): "
                     f"iterations {hub['iterations']:,}{_rate(hub, before, 'iterations', elapsed)}, "
                     f"switches {hub['switches']:,}{_rate(hub, before, 'switches', elapsed)}")
        lines.append(f"  ready queue {hub['ready']}, timers {hub['timers']}, fd waiters "
                     f"{hub['fd_waiters']}{', idle in poll' if hub['in_poll'] else ''}")
        lines.append(f"  green threads {gts['total']}: running {gts['running']}, ready {gts['ready']}, "
                     f"parked {gts['parked']}, pending {gts['pending']} (idle workers "
                     f"{gts['idle_workers']})")
        if hub["by_wait_site"]:
            lines.append("  parked by wait site:")
            for row in hub["by_wait_site"][:5]:
                lines.append(f"    {row['count']:6d}  {row['site']}"[:width])
        lines.append(f"  {'STATE':8} {'GREEN THREAD':32} {'WAITS ON':24} SITE")
        for row in hub["threads"][:max_rows]:
            lines.append(f"  {row['state']:8} {row['name'][:32]:32} {(row['waits_on'] or '-')[:24]:24} "
                         f"{row['site'] or '-'}"[:width])
        more = len(hub["threads"]) - max_rows + hub["threads_omitted"]
        if more > 0:
            lines.append(f"  ... and {more} more")
    mon = snap["monitor"]
    lines.append("")
    if not mon["active"]:
        lines.append("monitor off: no stall figures (start the process with FASTHUB_MONITOR=0.1)")
    elif not snap["stalls"]:
        lines.append(f"monitor on (threshold {mon['threshold']} s): no stalls")
    else:
        lines.append(f"longest stalls (monitor threshold {mon['threshold']} s):")
        for s in snap["stalls"][:5]:
            call = f" in {s['call']}()" if s["call"] else ""
            lines.append(f"  {s['longest']:7.3f} s x{s['count']:<4d} {s['location']}{call}"[:width])
    return "\n".join(lines) + "\n"


def main(argv=None):
    """``python -m fasthub top PID [--json] [--interval S] [--count N]``; returns an exit status."""
    p = argparse.ArgumentParser(prog="python -m fasthub top",
                                description="live view of a fasthub process started with FASTHUB_STATS=1")
    p.add_argument("pid", type=int)
    p.add_argument("--json", action="store_true", help="print one snapshot as JSON and exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes (1)")
    p.add_argument("--count", type=int, default=0, help="stop after this many refreshes (0: never)")
    args = p.parse_args(argv)
    try:
        snap = fetch(args.pid)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"fasthub top: {e}\n")
        return 1
    if args.json:
        json.dump(snap, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    tty = sys.stdout.isatty()
    previous = None
    shown = 0
    try:
        while True:
            width = os.get_terminal_size().columns if tty else 120
            screen = render(snap, previous, width=width)
            sys.stdout.write(("\x1b[H\x1b[2J" if tty else "") + screen)
            sys.stdout.flush()
            shown += 1
            if args.count and shown >= args.count:
                return 0
            time.sleep(args.interval)
            previous = snap
            try:
                snap = fetch(args.pid)
            except (OSError, ValueError):
                sys.stdout.write(f"\nprocess {args.pid} stopped serving stats\n")
                return 0
    except KeyboardInterrupt:
        return 0
