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
