"""fasthub.patcher and ``python -m fasthub``.

Patching changes the whole process, so every scenario that patches runs in a fresh interpreter:
the scripts in tests/isolated/ (last output line "pass"), once per hub backend. The tests here check
what can be checked without patching this process.
"""

import importlib
import os
import subprocess
import sys
import time

import pytest

import fasthub
from fasthub import patcher

ISOLATED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "isolated")
SCRIPTS = sorted(f for f in os.listdir(ISOLATED) if f.endswith(".py") and not f.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_isolated(script, hub):
    env = dict(os.environ, FASTHUB_BACKEND=hub.backend, PYTHONWARNINGS="error::RuntimeWarning")
    proc = subprocess.run([sys.executable, os.path.join(ISOLATED, script)], cwd=ISOLATED, env=env,
                          capture_output=True, text=True, timeout=90)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and lines and lines[-1] == "pass", (
        f"{script} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")


def test_this_process_is_not_patched():
    # The suite itself must run unpatched; a test that patched in-process would poison the rest.
    assert fasthub.patched() == {}
    assert time.sleep is patcher.get_original("time", "sleep")


def test_table_matches_green_modules():
    # Each green module declares the names that differ from the stdlib (__green__); the patch table
    # must name exactly those for the stdlib module of the same name, on this CPython version.
    for module_name in ("socket", "ssl", "select", "selectors", "time", "queue", "os", "subprocess",
                        "signal"):
        green = importlib.import_module("fasthub.green." + module_name)
        stdlib = importlib.import_module(module_name)
        table = set()
        for group in patcher._TABLE.values():
            table |= {a for a in group.get(module_name, {}) if hasattr(stdlib, a)}
        assert table == set(green.__green__), module_name


def test_every_table_entry_resolves():
    import threading

    for group, modules in patcher._TABLE.items():
        for module_name, entries in modules.items():
            stdlib = importlib.import_module(module_name)
            for attr, source in entries.items():
                if not hasattr(stdlib, attr):
                    continue
                if isinstance(source, patcher._Bound):
                    value = patcher._load(source.source)(stdlib)
                else:
                    value = patcher._load(source)
                assert value is not getattr(stdlib, attr), (group, module_name, attr)
    # The threading names exist on this version (3.13 renamed several).
    thread_names = patcher._resolve_group("thread")["threading"][1]
    assert {"Lock", "_CRLock", "get_ident", "local", "current_thread"} <= set(thread_names)
    if sys.version_info >= (3, 13):
        assert {"_start_joinable_thread", "_ThreadHandle", "_thread_shutdown"} <= set(thread_names)
    else:
        assert {"_start_new_thread", "_set_sentinel"} <= set(thread_names)
    assert threading.Lock is patcher.get_original("threading", "Lock")


@pytest.mark.parametrize("kwargs, expected", [
    ({}, set(patcher._GROUPS)),
    ({"all": False}, set()),
    ({"socket": True, "time": True}, {"socket", "time"}),
    ({"all": False, "os": True}, {"os"}),
    ({"thread": False}, set(patcher._GROUPS) - {"thread"}),
    ({"thread": False, "socket": False}, set(patcher._GROUPS) - {"thread", "socket"}),
    ({"thread": True, "socket": False}, {"thread"}),
])
def test_group_selection_is_eventlets(kwargs, expected):
    kwargs = dict(kwargs)  # parametrized values are shared by both backends' runs
    all_ = kwargs.pop("all", True)
    assert set(patcher._selected_groups(all_, kwargs)) == expected


def test_unknown_keyword_raises_and_patches_nothing():
    with pytest.raises(TypeError, match="sockets"):
        patcher.monkey_patch(sockets=True)
    assert fasthub.patched() == {}


def test_original_of_unpatched_module_has_real_attributes():
    orig = patcher.original("time")
    assert orig is not time and orig.sleep is time.sleep and orig.monotonic is time.monotonic
    assert patcher.get_original("socket", "socket") is importlib.import_module("socket").socket
    with pytest.raises(AttributeError):
        patcher.get_original("time", "no_such_name")


def test_is_monkey_patched_names():
    for name in ("socket", "thread", "threading", "_thread", "os", "time"):
        assert patcher.is_monkey_patched(name) is False
        assert patcher.is_module_patched(name) is False


def test_import_patched_is_a_copy_and_leaves_sys_modules():
    import http.client
    import socket

    before = dict(sys.modules)
    green = patcher.import_patched("http.client")
    assert green is not http.client
    assert green.socket.socket is not socket.socket
    assert green.socket.socket.__module__ == "fasthub.green.socket"
    assert http.client.socket is socket
    assert sys.modules["http.client"] is http.client
    assert sys.modules["socket"] is socket
    assert importlib.import_module("http").client is http.client
    assert {k for k in sys.modules if k not in before} <= {
        k for k in sys.modules if k.startswith("fasthub")}
    assert fasthub.patched() == {}


def test_import_patched_rejects_c_modules():
    with pytest.raises(ImportError, match="not a Python source module"):
        patcher.import_patched("_socket")


def test_main_usage_errors(capsys):
    from fasthub.__main__ import main

    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert main(["--no-bogus", "x.py"]) == 2
    assert "unknown option" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "python -m fasthub" in capsys.readouterr().out
    assert fasthub.patched() == {}
