"""``python -m fasthub.wsgi module:app``: serve a WSGI application from the command line.

With ``--workers N`` (N > 1) a small supervisor process starts N worker processes that each listen on
the same address with SO_REUSEPORT (the kernel spreads new connections among them), restarts a worker
that dies (with a back-off so a crashing app does not spin), and on SIGTERM/SIGINT asks every worker
to stop gracefully (stop accepting, finish in-flight requests for up to ``--graceful-timeout``
seconds) before killing what is left. The supervisor reserves the port first (bound, not listening),
so ``--bind host:0`` gives every worker the same free port.
"""

import argparse
import importlib
import os
import signal
import socket
import subprocess
import sys
import time

__all__ = ["main", "load_app"]


def load_app(spec):
    """Import ``module:attr`` (attr may be dotted; default ``application``) and return the app.
    Raises ImportError/AttributeError with a clear message if it cannot be found."""
    module_name, _, attr = spec.partition(":")
    if not module_name:
        raise ImportError(f"fasthub.wsgi: no module in {spec!r}; use module:app")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    obj = module
    for part in (attr or "application").split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"fasthub.wsgi: {module_name!r} has no attribute {attr!r}") from None
    if not callable(obj):
        raise TypeError(f"fasthub.wsgi: {spec} is not callable")
    return obj


def _parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m fasthub.wsgi",
                                description="Serve a WSGI application with fasthub.")
    p.add_argument("app", help="the application, as module:attribute (default attribute: application)")
    p.add_argument("--bind", "-b", default="127.0.0.1:8000",
                   help="host:port or a Unix socket path (default 127.0.0.1:8000)")
    p.add_argument("--workers", "-w", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--connections", type=int, default=1024,
                   help="simultaneous connections per worker (default 1024)")
    p.add_argument("--access-log", default=None,
                   help="access log file, '-' for stderr (default: none)")
    p.add_argument("--keepalive", type=float, default=60.0,
                   help="idle keep-alive timeout in seconds, 0 to disable (default 60)")
    p.add_argument("--graceful-timeout", type=float, default=10.0,
                   help="seconds to finish in-flight requests on SIGTERM (default 10)")
    p.add_argument("--certfile", default=None, help="serve HTTPS with this certificate chain")
    p.add_argument("--keyfile", default=None, help="private key for --certfile")
    p.add_argument("--no-patch", action="store_true",
                   help="do not monkey_patch() the standard library (default: patch before the app "
                        "is imported, in the supervisor and in every worker)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _split_bind(bind):
    if "/" in bind:
        return bind
    host, _, port = bind.rpartition(":")
    return (host.strip("[]") or "0.0.0.0", int(port))


def _serve_worker(args, reuse_port):
    from fasthub.core._greenthread import spawn
    from fasthub.web.wsgi import WSGIServer

    app = load_app(args.app)
    log = None
    if args.access_log == "-":
        log = sys.stderr
    elif args.access_log:
        log = open(args.access_log, "a", buffering=1)
    ssl_context = None
    if args.certfile:
        import ssl
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(args.certfile, args.keyfile)
    server = WSGIServer(_split_bind(args.bind), app, log=log, error_log=sys.stderr,
                        pool=args.connections, keepalive=args.keepalive or False,
                        ssl_context=ssl_context, reuse_port=reuse_port)
    server.start()

    def on_term(signum, frame):
        # Runs in the hub (between two loop iterations): only schedule the blocking stop.
        spawn(server.stop, args.graceful_timeout)

    signal.signal(signal.SIGTERM, on_term)
    if not args.worker:
        addr = server.address
        where = (f"http{'s' if ssl_context else ''}://{addr[0]}:{addr[1]}/"
                 if isinstance(addr, tuple) else addr)
        print(f"fasthub.wsgi: serving {args.app} on {where} (pid {os.getpid()}, {_patch_note(args)})",
              flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _reserve_port(bind):
    # Bound with SO_REUSEPORT but not listening: fixes the port for the workers, takes no connections.
    addr = _split_bind(bind)
    if not isinstance(addr, tuple):
        return None, bind
    family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(addr)
    port = s.getsockname()[1]
    host = addr[0] if family == socket.AF_INET else f"[{addr[0]}]"
    return s, f"{host}:{port}"


class _Stop(Exception):
    pass


def _supervise(args, argv):
    if "/" in args.bind:
        raise SystemExit("fasthub.wsgi: --workers > 1 needs a host:port (SO_REUSEPORT), not a Unix path")
    load_app(args.app)   # fail fast, in the supervisor, if the app cannot be imported
    reserved, bind = _reserve_port(args.bind)
    worker_argv = [sys.executable, "-m", "fasthub.wsgi", args.app, "--bind", bind, "--worker"]
    skip = {"--bind", "-b", "--workers", "-w"}
    it = iter(argv)
    for a in it:
        if a == args.app or a == "--worker":
            continue
        key = a.split("=", 1)[0]
        if key in skip:
            if "=" not in a:
                next(it, None)
            continue
        worker_argv.append(a)
    stopping = []
    workers = {}
    starts = []

    def start_worker():
        p = subprocess.Popen(worker_argv)
        workers[p.pid] = p
        starts.append(time.monotonic())

    def on_signal(signum, frame):
        # Raise rather than set a flag: waitpid() is retried after a signal (PEP 475) otherwise.
        stopping.append(signum)
        raise _Stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for _ in range(args.workers):
        start_worker()
    print(f"fasthub.wsgi: serving {args.app} on http://{bind}/ with {args.workers} workers "
          f"(supervisor pid {os.getpid()}, {_patch_note(args)})", flush=True)
    try:
        while not stopping:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            except _Stop:
                break
            if pid in workers and not stopping:
                del workers[pid]
                # Back off when workers die young: a broken app must not fork-bomb the machine.
                recent = [t for t in starts if time.monotonic() - t < 10]
                if len(recent) > 4 * args.workers:
                    time.sleep(1.0)
                print(f"fasthub.wsgi: worker {pid} exited ({status}); starting a new one",
                      file=sys.stderr, flush=True)
                start_worker()
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for p in workers.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + args.graceful_timeout + 2
        for p in workers.values():
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if reserved is not None:
            reserved.close()
    return 0


def _patch_note(args):
    # Said in the start-up line, so nobody serves an unpatched app without knowing it.
    return "stdlib not patched (--no-patch)" if args.no_patch else "stdlib monkey-patched"


def main(argv=None):
    """Entry point of ``python -m fasthub.wsgi``; returns the exit status.

    Unless ``--no-patch`` is given, the standard library is monkey-patched first (before the app is
    imported), so views that call requests, time.sleep or a database driver wait greenly."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse_args(argv)
    if not args.no_patch:
        from fasthub.patcher import monkey_patch
        monkey_patch()
    if args.workers > 1 and not args.worker:
        return _supervise(args, argv)
    return _serve_worker(args, reuse_port=args.worker)
