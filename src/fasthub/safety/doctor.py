"""``python -m fasthub doctor``: import a program under patching and list what will still block the hub.

Monkey patching fails quietly: a module that did ``from socket import socket`` before patching, a C
extension that does its own I/O (psycopg2 without a wait callback, grpc, mysqlclient), an OS thread
started too early; each leaves calls that block every green thread, and nothing says so until
production stalls. The doctor patches first, imports the program (as a module: its
``if __name__ == "__main__":`` block does not run, so a server is not started), then audits the process:

- original (unpatched) stdlib callables captured before patching, wherever the program keeps them: a
  module global (``from time import sleep``), a class attribute (werkzeug's ``lock_class =
  threading.Lock``), a function's default argument or closure, a ``functools.partial``, a registry
  dict or list, an object's attribute. A socket factory kept so (``socket.socket``,
  ``socket.create_connection``...) is a hook that hands out raw, blocking sockets;
- raw sockets: live socket objects of the stdlib's class (made before patching) that the program
  keeps, blocking or not: the first blocks the OS thread, the second is polled by whoever owns it;
- locks created before patching; real OS threads running in the process;
- loaded C extensions known to do their own blocking I/O, unless their fasthub integration is active;
- the program failing to import at all.

``--as-written`` does not patch first: the program is imported as ``python app.py`` would run it, so
it must call ``fasthub.monkey_patch()`` itself, and whatever it imported before that call is audited
as production would see it (a program that never patches is reported).

Human output by default, ``--json`` for tools. Exit status 0 when clean, 1 when risks are found,
2 for usage errors.
"""

import argparse
import contextlib
import json
import os
import runpy
import sys
import types
import warnings

__all__ = ["Risk", "audit", "main"]


class Risk:
    """One blocking risk: its kind, what was found, and what to do about it."""

    __slots__ = ("kind", "detail", "advice")

    def __init__(self, kind, detail, advice=""):
        self.kind = kind
        self.detail = detail
        self.advice = advice

    def as_dict(self):
        """The risk as plain data (for --json)."""
        return {"kind": self.kind, "detail": self.detail, "advice": self.advice}

    def __repr__(self):
        return f"<Risk {self.kind}: {self.detail}>"


# --- C extensions that do their own I/O ----------------------------------------------------------------
# Each entry: module whose presence means the extension is loaded, a check returning True when fasthub
# already made it cooperative, what it is, and what to do.

def _psycopg2_ok():
    ext = sys.modules.get("psycopg2.extensions")
    return ext is not None and ext.get_wait_callback() is not None


def _psycopg3_ok():
    waiting = sys.modules.get("psycopg.waiting")
    wait = getattr(waiting, "wait", None)
    module = getattr(wait, "__module__", "") or ""
    name = getattr(wait, "__name__", "") or ""
    # Without its C wait (pure-Python selectors) psycopg is cooperative under patching.
    return module.startswith("fasthub") or not name.endswith("_c")


def _never_ok():
    return False


_EXTENSIONS = [
    ("psycopg2._psycopg", _psycopg2_ok, "psycopg2 (libpq waits in C)",
     "call fasthub.integrations.psycopg2.patch() (monkey_patch() does when psycopg2 is importable)"),
    ("psycopg.waiting", _psycopg3_ok, "psycopg 3 with its C wait (psycopg_c / psycopg[binary])",
     "call fasthub.integrations.psycopg.patch(), which gives psycopg a green wait"),
    ("MySQLdb._mysql", _never_ok, "mysqlclient (MySQLdb: libmysqlclient does blocking I/O in C)",
     "use PyMySQL (pure Python, cooperative under patching) or run queries in fasthub.tpool"),
    ("grpc._cython.cygrpc", _never_ok, "grpc (its C core runs its own threads and I/O)",
     "call grpc through fasthub.tpool.execute(), or run it in a separate process"),
    ("_pylibmc", _never_ok, "pylibmc (libmemcached does blocking I/O in C)",
     "use pymemcache (pure Python) or fasthub.tpool"),
    ("pycurl", _never_ok, "pycurl (libcurl does blocking I/O in C)",
     "use requests/urllib3/httpx (cooperative under patching) or fasthub.tpool"),
    ("zmq.backend.cython", lambda: "zmq.green" in sys.modules, "pyzmq's C backend",
     "use zmq.green-style polling through fasthub.wait_read on the socket's FD, or fasthub.tpool"),
    ("confluent_kafka.cimpl", _never_ok, "confluent-kafka (librdkafka threads and blocking polls)",
     "call poll()/flush() with timeout 0 in a loop with fasthub.sleep, or use fasthub.tpool"),
    ("pymssql._pymssql", _never_ok, "pymssql (FreeTDS does blocking I/O in C)", "use fasthub.tpool"),
    ("_ldap", _never_ok, "python-ldap (libldap does blocking I/O in C)", "use ldap3 (pure Python) or fasthub.tpool"),
    ("cx_Oracle", _never_ok, "cx_Oracle (OCI does blocking I/O in C)", "use oracledb in thin mode, or fasthub.tpool"),
    ("cassandra.io.libevwrapper", _never_ok, "cassandra-driver's libev reactor (its own event loop thread)",
     "let the driver run its own thread and call it through fasthub.tpool"),
]


def _extension_risks():
    risks = []
    for module_name, is_ok, what, advice in _EXTENSIONS:
        if module_name in sys.modules and not is_ok():
            risks.append(Risk("c-extension", f"{what} is loaded", advice))
    return risks


def _captured_original_risks():
    from fasthub import patcher

    originals = {m: dict(attrs) for m, attrs in patcher._saved.items()}
    culprits = patcher._late_patch_report(originals, thread_patched=patcher.is_monkey_patched("thread"))
    risks = []
    for text in culprits:
        kind = "os-thread" if text.startswith("OS thread") else "captured-original"
        advice = ("start it after fasthub.monkey_patch(), or make it a green thread"
                  if kind == "os-thread" else
                  "import fasthub and call fasthub.monkey_patch() before anything else, or run the "
                  "program with `python -m fasthub app.py`")
        risks.append(Risk(kind, text, advice))
    return risks


# --- originals and raw sockets kept deeper than module globals and class attributes -------------------

_SOCKET_FACTORIES = {"socket.socket", "socket.create_connection", "socket.socketpair", "socket.fromfd",
                     "socket.create_server", "ssl.SSLContext", "ssl.SSLSocket", "ssl.wrap_socket",
                     "ssl.create_default_context", "ssl.socket", "ssl.create_connection"}
_MAX_DEPTH = 4


def _program_modules():
    from fasthub import patcher

    seen = set()
    for name, module in list(sys.modules.items()):
        if (module is None or id(module) in seen or patcher._skip_holder_module(name)
                or patcher._is_stdlib(name)):
            continue
        seen.add(id(module))
        yield name, module


def _children(obj, program):
    """(label suffix, child) pairs to look into, for one object met in the walk. Only type() is
    asked of an object, never its __class__ or attributes through getattr: a proxy (werkzeug's
    LocalProxy, Django's lazy objects) may raise or compute on those."""
    import functools
    import types

    t = type(obj)
    if issubclass(t, dict):
        return [(f"[{k!r}]", v) for k, v in list(obj.items())[:1000]]
    if issubclass(t, (list, tuple, set, frozenset)):
        return [(f"[{i}]", v) for i, v in enumerate(list(obj)[:1000])]
    if issubclass(t, (staticmethod, classmethod)):
        return [("", obj.__func__)]
    if issubclass(t, functools.partial):
        return [(" (partial) function", obj.func)] + [
            (f" (partial) argument {i}", a) for i, a in enumerate(obj.args)] + [
            (f" (partial) argument {k!r}", v) for k, v in (obj.keywords or {}).items()]
    if t is types.FunctionType:
        if obj.__module__ not in program:
            return []
        code = obj.__code__
        out = []
        names = code.co_varnames[:code.co_argcount]
        defaults = obj.__defaults__ or ()
        for name, value in zip(names[len(names) - len(defaults):], defaults):
            out.append((f"() default of {name!r}", value))
        out += [(f"() default of {k!r}", v) for k, v in (obj.__kwdefaults__ or {}).items()]
        for name, cell in zip(code.co_freevars, obj.__closure__ or ()):
            try:
                out.append((f"() closure variable {name!r}", cell.cell_contents))
            except ValueError:  # an empty cell
                pass
        return out
    if issubclass(t, type):
        if vars(obj).get("__module__") not in program:
            return []
        return [(f".{k}", v.__func__ if type(v) in (staticmethod, classmethod) else v)
                for k, v in list(vars(obj).items()) if not k.startswith("__")]
    if issubclass(t, (types.ModuleType, types.BuiltinFunctionType, types.MethodType)):
        return []
    if (getattr(t, "__module__", "") or "").startswith("fasthub"):
        return []
    try:
        attrs = object.__getattribute__(obj, "__dict__")
    except Exception:  # noqa: BLE001 - no __dict__, or one that will not be read: nothing to walk
        return []
    if type(attrs) is not dict:
        return []
    return [(f".{k}", v) for k, v in list(attrs.items())]


def _raw_socket_types():
    import _socket

    from fasthub import patcher
    from fasthub.green import socket as green

    return patcher.get_original("socket", "socket"), green.socket, _socket.socket


def _describe_socket(sock):
    try:
        fd = sock.fileno()
    except OSError:
        return None
    if fd < 0:
        return None
    try:
        mode = "blocking" if sock.gettimeout() is None else (
            "non-blocking" if sock.gettimeout() == 0 else f"timeout {sock.gettimeout()}s")
        where = sock.getsockname()
    except OSError:
        mode, where = "unknown mode", "?"
    return f"fd {fd}, {where}, {mode}"


def _held_risks():
    """Originals kept below module globals and class attributes (which the patcher's own check
    reports: patcher._late_patch_report), and raw sockets kept anywhere the walk from the program's
    modules reaches (_MAX_DEPTH steps: containers, function defaults and closures, partials,
    classes, object attributes)."""
    from fasthub import patcher

    originals = {}
    for module_name, attrs in list(patcher._saved.items()) + list(patcher._aliases.items()):
        for attr, value in attrs.items():
            if value is not patcher._ABSENT and callable(value):
                originals.setdefault(id(value), f"{module_name}.{attr}")
    std_socket, green_socket, c_socket = _raw_socket_types()
    modules = dict(_program_modules())
    program = set(modules)
    risks, seen = [], set()
    # (path, object, depth, reported by the patcher's own check if it is an original)
    stack = [(f"{name}.{key}", value, 1, True) for name, module in modules.items()
             for key, value in list(vars(module).items()) if not key.startswith("__")]
    while stack:
        path, obj, depth, patcher_reports = stack.pop()
        what = originals.get(id(obj))
        if what is not None:
            if not patcher_reports:
                hands_out = (" (a socket factory: it hands out raw sockets that block the whole OS "
                             "thread)" if what in _SOCKET_FACTORIES else "")
                risks.append(Risk("captured-original", f"{path} is the original {what}{hands_out}",
                                  "import fasthub and call fasthub.monkey_patch() before the module "
                                  "that keeps it is imported, or run `python -m fasthub app.py`"))
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        kind = type(obj)
        if issubclass(kind, (std_socket, c_socket)) and not issubclass(kind, green_socket):
            state = _describe_socket(obj)
            if state is not None:
                risks.append(Risk("raw-socket",
                                  f"{path} is a socket of the stdlib's own class ({state}), made "
                                  f"before patching: blocking, it blocks the whole OS thread; "
                                  f"non-blocking, whoever waits for it must use the patched select",
                                  "create it after fasthub.monkey_patch(), or hand its fd to a green "
                                  "socket: socket.socket(fileno=raw.detach())"))
            continue
        if depth < _MAX_DEPTH:
            # A class attribute of a program class is what the patcher reports itself.
            is_class = issubclass(type(obj), type)
            stack.extend((path + suffix, child, depth + 1, is_class and depth == 1)
                         for suffix, child in _children(obj, program))
    return risks


def audit():
    """Audit this process now: the list of Risk found (see the module docstring)."""
    return _extension_risks() + _captured_original_risks() + _held_risks()


_RUN_NAME = "__fasthub_doctor__"  # the program's __name__ (its main block does not run)


def _import_program(args):
    """Patch, then import the program; return the late-patching warnings and an import error or None."""
    from fasthub import patcher

    late = []
    if not args.as_written:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            patcher.monkey_patch()
        late = [str(w.message) for w in caught if issubclass(w.category, patcher.LatePatchWarning)]
    argv0 = args.module if args.module else args.script
    sys.argv = [argv0] + list(args.args)
    try:
        # The program's own late monkey_patch() warns (--as-written): the audit reports the same.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", patcher.LatePatchWarning)
            if args.module:
                namespace = runpy.run_module(args.module, run_name=_RUN_NAME, alter_sys=True)
            else:
                sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
                namespace = runpy.run_path(args.script, run_name=_RUN_NAME)
        # runpy drops the program's own module when it returns: keep it for the audit.
        program = types.ModuleType(_RUN_NAME)
        program.__dict__.update(namespace)
        sys.modules[_RUN_NAME] = program
    except SystemExit:
        pass
    except BaseException as e:  # report, don't crash: a program that fails to import is a finding
        return late, f"{type(e).__name__}: {e}"
    return late, None


def _parse(argv):
    p = argparse.ArgumentParser(
        prog="python -m fasthub doctor",
        description="Import a program under fasthub.monkey_patch() and list what will still block the hub.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--as-written", action="store_true",
                   help="do not patch first: the program calls fasthub.monkey_patch() itself, and "
                        "what it imports before that call is audited as production would see it")
    p.add_argument("-m", dest="module", help="audit a module (like python -m)")
    p.add_argument("script", nargs="?", help="the program to audit")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    args = p.parse_args(argv)
    if args.module and args.script:
        args.args = [args.script] + args.args
        args.script = None
    if not args.module and not args.script:
        p.error("name a script or -m module")
    return args


def main(argv=None):
    """Run the doctor; returns the exit status (0 clean, 1 risks found, 2 usage error)."""
    try:
        args = _parse(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:
        return 2 if e.code else 0
    target = f"-m {args.module}" if args.module else args.script
    if args.json:
        # Keep stdout for the JSON document: what the program prints goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            _late, error = _import_program(args)
    else:
        _late, error = _import_program(args)
    risks = audit()
    from fasthub import patcher

    if args.as_written and not patcher.patched():
        risks.insert(0, Risk("not-patched", "the program never called fasthub.monkey_patch(): "
                             "every socket, lock and sleep blocks the whole OS thread",
                             "call fasthub.monkey_patch() first thing, or run the program with "
                             "`python -m fasthub app.py`"))
    if error is not None:
        risks.insert(0, Risk("import-error", f"the program failed to import: {error}",
                             "fix the error; the audit below covers only what was imported"))

    if args.json:
        out = {"program": target, "patched": patcher.patched(), "risks": [r.as_dict() for r in risks],
               "ok": not risks}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        lines = [f"fasthub doctor: {target}"]
        for r in risks:
            lines.append(f"  RISK [{r.kind}] {r.detail}")
            if r.advice:
                lines.append(f"       -> {r.advice}")
        lines.append(f"{len(risks)} blocking risk(s) found" if risks else
                     "no blocking risks found: every module fasthub patches is green here")
        sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 1 if risks else 0
