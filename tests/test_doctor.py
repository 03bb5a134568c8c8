"""python -m fasthub doctor on real programs, each audited in its own interpreter."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.one_backend




def doctor(*args, cwd, extra_path=None):
    env = dict(os.environ)
    env.pop("FASTHUB_MONITOR", None)
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "fasthub", "doctor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


def test_a_clean_program_passes(tmp_path):
    app = write(tmp_path / "app.py", """
        import socket, threading, time
        LOCK = threading.Lock()
        print("imported")
        if __name__ == "__main__":
            raise SystemExit("the doctor must not run the main block")
    """)
    proc = doctor(str(app), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no blocking risks found" in proc.stdout
    assert "imported" in proc.stdout


def test_what_started_before_patching_is_named(tmp_path):
    # The classic trap: sitecustomize (or a .pth file) imports things before the program can patch.
    early = tmp_path / "early"
    early.mkdir()
    write(early / "earlymod.py", """
        from time import sleep as early_sleep
        import threading, time
        threading.Thread(target=time.sleep, args=(60,), name="early-worker", daemon=True).start()
    """)
    write(early / "sitecustomize.py", "import earlymod\n")
    app = write(tmp_path / "app.py", "import socket\n")
    proc = doctor("--json", str(app), cwd=tmp_path, extra_path=early)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    kinds = {r["kind"] for r in report["risks"]}
    details = " ".join(r["detail"] for r in report["risks"])
    assert kinds == {"captured-original", "os-thread"}
    assert "earlymod" in details and "time.sleep" in details and "early-worker" in details
    assert report["ok"] is False and "socket" in report["patched"]


def test_known_blocking_c_extension_is_reported(tmp_path):
    # The doctor keys C extensions by their module name; this stand-in takes the place of
    # mysqlclient's compiled module, which is not installed here.
    pkg = tmp_path / "MySQLdb"
    pkg.mkdir()
    write(pkg / "__init__.py", "from MySQLdb import _mysql\n")
    write(pkg / "_mysql.py", "")
    app = write(tmp_path / "app.py", "import MySQLdb\n")
    proc = doctor(str(app), cwd=tmp_path, extra_path=tmp_path)
    assert proc.returncode == 1
    assert "RISK [c-extension] mysqlclient" in proc.stdout and "PyMySQL" in proc.stdout


def test_module_form_and_import_errors(tmp_path):
    write(tmp_path / "broken.py", "import definitely_not_installed_xyz\n")
    proc = doctor("-m", "broken", cwd=tmp_path, extra_path=tmp_path)
    assert proc.returncode == 1
    assert "RISK [import-error]" in proc.stdout and "definitely_not_installed_xyz" in proc.stdout


def test_psycopg2_is_a_risk_until_its_wait_callback_is_installed(tmp_path):
    pytest.importorskip("psycopg2")
    # monkey_patch() installs the wait callback when psycopg2 is importable: the doctor sees it green.
    app = write(tmp_path / "app.py", "import psycopg2\n")
    proc = doctor(str(app), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    # A program that removes the callback is caught.
    app = write(tmp_path / "app2.py", "import psycopg2.extensions as e\ne.set_wait_callback(None)\n")
    proc = doctor(str(app), cwd=tmp_path)
    assert proc.returncode == 1 and "psycopg2" in proc.stdout


def test_usage_errors(tmp_path):
    proc = doctor(cwd=tmp_path)
    assert proc.returncode == 2 and "name a script" in proc.stderr


# A framework that keeps stdlib objects in each of the places where they outlive patching. Imported
# before patching (by sitecustomize, or by a program that patches late), it keeps the originals.
FRAMEWORK = """
    import functools, socket, threading, time

    class Server:
        lock_class = threading.Lock          # werkzeug's habit: calls self.lock_class()
        socket_factory = socket.socket       # a hook that hands out sockets

    SLEEP = time.sleep                       # a module global

    def connect(address, factory=socket.create_connection):   # a default argument
        return factory(address)

    HOOKS = {"connect": socket.create_connection}             # a registry
    CONNECT = functools.partial(socket.create_connection, timeout=5)

    def _make_pause():
        sleep = time.sleep
        def pause():
            sleep(0)
        return pause

    PAUSE = _make_pause()                    # a closure

    class App:
        def __init__(self):
            self.pair_factory = socket.socketpair                # an object's attribute
            self.listener = socket.socket()                      # a raw socket it will accept on
            self.listener.bind(("127.0.0.1", 0))
            self.listener.listen()

    APP = App()

    class Proxy:  # like werkzeug's LocalProxy outside a request: every attribute raises
        def __getattribute__(self, name):
            raise RuntimeError("working outside of request context")

    REQUEST = Proxy()                        # the audit must not touch it
"""

EXPECTED_HOLDERS = [
    "class framework.Server holds the original", "as its attribute 'lock_class'",
    "the original socket.socket as its attribute 'socket_factory'",
    "as 'SLEEP'", "connect() default of 'factory' is the original socket.create_connection",
    "HOOKS['connect'] is the original socket.create_connection", "CONNECT (partial) function",
    "PAUSE() closure variable 'sleep' is the original time.sleep",
    "APP.pair_factory is the original socket.socketpair",
]


def _report(proc):
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_originals_kept_anywhere_and_raw_sockets_are_named(tmp_path):
    early = tmp_path / "early"
    early.mkdir()
    write(early / "framework.py", FRAMEWORK)
    write(early / "sitecustomize.py", "import framework\n")
    app = write(tmp_path / "app.py", "import framework\nprint('app imported')\n")
    report = _report(doctor("--json", str(app), cwd=tmp_path, extra_path=early))
    details = "\n".join(r["detail"] for r in report["risks"])
    for text in EXPECTED_HOLDERS:
        assert text in details, f"{text!r} not in:\n{details}"
    assert "a socket factory: it hands out raw sockets" in details
    raw = [r for r in report["risks"] if r["kind"] == "raw-socket"]
    assert len(raw) == 1 and "APP.listener" in raw[0]["detail"] and "blocking" in raw[0]["detail"]
    assert "socket.socket(fileno=raw.detach())" in raw[0]["advice"]
    assert report["ok"] is False


def test_as_written_audits_a_program_that_patches_late(tmp_path):
    write(tmp_path / "framework.py", FRAMEWORK)
    app = write(tmp_path / "app.py", """
        import framework            # imported before patching: keeps the originals
        import fasthub
        fasthub.monkey_patch()
        from time import sleep      # after patching: green, not reported
    """)
    report = _report(doctor("--json", "--as-written", str(app), cwd=tmp_path, extra_path=tmp_path))
    details = "\n".join(r["detail"] for r in report["risks"])
    for text in EXPECTED_HOLDERS:
        assert text in details, f"{text!r} not in:\n{details}"
    assert "'sleep'" not in details.replace("closure variable 'sleep'", "")
    assert any(r["kind"] == "raw-socket" for r in report["risks"])
    # The doctor's default (patch first) gives the same program green objects: nothing to report.
    proc = doctor(str(app), cwd=tmp_path, extra_path=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_as_written_names_a_program_that_never_patches(tmp_path):
    app = write(tmp_path / "app.py", "import socket\n")
    proc = doctor("--as-written", str(app), cwd=tmp_path)
    assert proc.returncode == 1
    assert "RISK [not-patched]" in proc.stdout and "never called fasthub.monkey_patch()" in proc.stdout


def test_the_programs_own_globals_are_audited(tmp_path):
    # runpy drops the program's module after running it; the doctor keeps it for the audit.
    app = write(tmp_path / "app.py", """
        import threading
        class Handler:
            lock_class = threading.Lock
        import fasthub
        fasthub.monkey_patch()
    """)
    proc = doctor("--as-written", str(app), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Handler holds the original" in proc.stdout and "'lock_class'" in proc.stdout
