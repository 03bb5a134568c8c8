"""``python -m fasthub doctor``: import a program under patching and list what will still block the hub.

Monkey patching fails quietly: a module that did ``from socket import socket`` before patching, a C
extension that does its own I/O (psycopg2 without a wait callback, grpc, mysqlclient), an OS thread
started too early; each leaves calls that block every green thread, and nothing says so until
production stalls. The doctor patches first, imports the program (as a module: its
``if __name__ == "__main__":`` block does not run, so a server is not started), then audits the process:

- modules holding original (unpatched) objects captured before patching, locks created before it;
- loaded C extensions known to do their own blocking I/O, unless their fasthub integration is active;
- real OS threads running in the process (started before patching, or by C code);
- the program failing to import at all.

Human output by default, ``--json`` for tools. Exit status 0 when clean, 1 when risks are found,
2 for usage errors.
"""

import argparse
import contextlib
import json
import os
import runpy
import sys
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


def audit():
    """Audit this process now: the list of Risk found (see the module docstring)."""
    return _extension_risks() + _captured_original_risks()


def _import_program(args):
    """Patch, then import the program; return the late-patching warnings and an import error or None."""
    from fasthub import patcher

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        patcher.monkey_patch()
    late = [str(w.message) for w in caught if issubclass(w.category, patcher.LatePatchWarning)]
    argv0 = args.module if args.module else args.script
    sys.argv = [argv0] + list(args.args)
    try:
        if args.module:
            runpy.run_module(args.module, run_name="__fasthub_doctor__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
            runpy.run_path(args.script, run_name="__fasthub_doctor__")
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
    if error is not None:
        risks.insert(0, Risk("import-error", f"the program failed to import: {error}",
                             "fix the error; the audit below covers only what was imported"))
    from fasthub import patcher

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
