"""The layout by layer (DESIGN.md): imports only go down, there are no import cycles, and green
modules work without the patcher.

The import graph is read from the source with ``ast`` (Cython ``.pyx``/``.pxd`` files with a small
pattern for their ``import``/``cimport`` lines), counting imports at module level and inside functions:
a function-level import still ties the two modules together, it only hides the cycle until run time.
``from fasthub import __version__`` (module metadata only) does not count as an import of the API.
"""

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fasthub

PACKAGE_DIR = Path(fasthub.__file__).parent

# The layers, lowest first. A module may import from its own layer and the layers below it. A module
# belongs to the layer of its longest matching prefix; a module that matches none fails the test
# (give it a layer here). The public paths at the top level (re-export modules such as fasthub.wsgi,
# the package itself, python -m fasthub, the demo) sit above everything.
LAYERS = [
    ("core", ["fasthub.core"]),
    ("sync", ["fasthub.sync", "fasthub.tasks"]),
    ("green", ["fasthub.green"]),
    ("patcher", ["fasthub.patcher"]),
    ("web", ["fasthub.web"]),
    ("integrations/safety", ["fasthub.integrations", "fasthub.safety"]),
    ("public paths", ["fasthub", "fasthub.demo", "fasthub.wsgi", "fasthub.websocket",
                      "fasthub.gunicorn", "fasthub.celery", "fasthub.monitor", "fasthub.debug",
                      "fasthub.pool", "fasthub.tpool"]),
    # The eventlet alias maps eventlet's API onto fasthub's public one; `python -m fasthub --eventlet`
    # installs it.
    ("compat and launcher", ["fasthub.compat", "fasthub.__main__"]),
]

# Public module paths (README, docs, entry points) kept as re-export modules of the code's real home.
# fasthub.gunicorn and fasthub.celery need their frameworks: tests/integrations/test_gunicorn.py and
# test_celery.py run them end to end by those public paths (-k fasthub.gunicorn.Worker,
# fasthub.celery:TaskPool).
FACADES = {
    "fasthub.wsgi": ["fasthub.web.wsgi"],
    "fasthub.websocket": ["fasthub.web.websocket"],
    "fasthub.monitor": ["fasthub.safety.monitor"],
    "fasthub.debug": ["fasthub.safety.debug"],
    "fasthub.tpool": ["fasthub.sync.tpool"],
    "fasthub.pool": ["fasthub.sync.pool", "fasthub.integrations.connpool"],
}

_CYTHON_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+c?import\s+(.+)|c?import\s+([\w.]+))", re.M)


def _module_name(path):
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    parts[-1] = parts[-1].split(".")[0]  # _hub.cpython-311-x86_64-linux-gnu -> _hub
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files():
    # (module name, path) of every Python and Cython source of the package. An installed wheel has no
    # .pyx files: their imports (core to core only) are then read from the .pxd declarations.
    files = {}
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if "__pycache__" in path.parts or path.suffix not in (".py", ".pyx", ".pxd"):
            continue
        files.setdefault(_module_name(path), []).append(path)
    return files


def _known_modules():
    names = set(_source_files())
    names.update(_module_name(p) for p in PACKAGE_DIR.rglob("*") if p.suffix in (".so", ".pyd"))
    return names


def _resolve(module, level, target):
    if not level:
        return target
    base = module.split(".")
    is_package = any(p.name == "__init__.py" for p in _source_files().get(module, ()))
    base = base if is_package else base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _imports_of(module, path, known):
    """The fasthub modules that ``module`` (source file ``path``) imports, anywhere in the file."""
    found = set()

    def add(name, names=()):
        if not (name == "fasthub" or name.startswith("fasthub.")):
            return
        names = [n for n in names if n != "*"]
        if names and all(n.startswith("__") and n.endswith("__") for n in names):
            return  # module metadata (__version__), not the API
        subs = [f"{name}.{n}" for n in names if f"{name}.{n}" in known]
        found.update(subs)
        if len(subs) < len(names) or not names:
            found.add(name)

    text = path.read_text()
    if path.suffix == ".py":
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                add(_resolve(module, node.level, node.module), [a.name for a in node.names])
    else:
        for m in _CYTHON_IMPORT.finditer(text):
            if m.group(1):
                names = [n.strip().split(" as ")[0] for n in m.group(2).strip("()\\ ").split(",")]
                add(m.group(1), [n for n in names if n.isidentifier()])
            else:
                add(m.group(3))
    found.discard(module)
    return found


def import_graph():
    """{module: set of fasthub modules it imports}, for every module of the package."""
    known = _known_modules()
    graph = {name: set() for name in known}
    for module, paths in _source_files().items():
        for path in paths:
            graph[module] |= _imports_of(module, path, known)
    return graph


def layer_of(module):
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            exact_only = prefix == "fasthub"
            if module == prefix or (not exact_only and module.startswith(prefix + ".")):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    return None if best is None else best[0]


def _find_cycle(graph):
    # Depth-first search; returns one cycle as a list of modules (first == last), or None.
    state = {}
    stack = []

    def visit(node):
        state[node] = "active"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "active":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def _reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


# --- the checker checks --------------------------------------------------------------------------------

@pytest.mark.one_backend
def test_the_graph_sees_module_and_function_level_imports():
    graph = import_graph()
    # module level (.py), function level (.py), and a Cython cimport
    assert "fasthub.core._hub" in graph["fasthub.green.socket"]
    assert "fasthub.patcher" in graph["fasthub.safety.doctor"]        # only inside functions
    assert "fasthub.core._timers" in graph["fasthub.core._hub"]       # from ... cimport
    assert "fasthub.core.originals" in graph["fasthub.green._thread"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


# --- the rules ---------------------------------------------------------------------------------------

@pytest.mark.one_backend
def test_no_import_cycle():
    cycle = _find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.one_backend
def test_every_module_has_a_layer():
    unplaced = sorted(m for m in import_graph() if layer_of(m) is None)
    assert unplaced == [], f"give these modules a layer in tests/test_layout.py LAYERS: {unplaced}"


@pytest.mark.one_backend
def test_imports_only_go_down_the_layers():
    order = " < ".join(name for name, _ in LAYERS)
    upward = []
    for module, targets in sorted(import_graph().items()):
        for target in sorted(targets):
            if layer_of(target) > layer_of(module):
                upward.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} "
                              f"({LAYERS[layer_of(target)][0]})")
    assert upward == [], f"imports must go down the layers ({order}):\n  " + "\n  ".join(upward)


@pytest.mark.one_backend
def test_nothing_below_the_patcher_imports_it():
    graph = import_graph()
    below = [m for m in graph if m.startswith(("fasthub.core", "fasthub.sync", "fasthub.green"))]
    assert len(below) > 20
    offenders = sorted(m for m in below if "fasthub.patcher" in _reachable(graph, m))
    assert offenders == [], f"these modules import fasthub.patcher (directly or not): {offenders}"


_CHECK_FACADES = textwrap.dedent("""
    import importlib, json, sys

    problems = []
    for public, homes in json.loads(sys.argv[1]).items():
        facade = importlib.import_module(public)
        reals = [importlib.import_module(home) for home in homes]
        if not facade.__all__:
            problems.append(f"{public} has an empty __all__")
        for name in facade.__all__:
            sources = [real for real in reals if name in getattr(real, "__all__", ())]
            if not sources or getattr(facade, name, None) is not getattr(sources[0], name):
                problems.append(f"{public}.{name} is not the {name} of {' or '.join(homes)}")
        for home in homes:
            if home not in (facade.__doc__ or ""):
                problems.append(f"{public}'s docstring should say the code lives in {home}")
    print(json.dumps(problems))
""")


@pytest.mark.one_backend
def test_public_paths_re_export_the_same_objects():
    # In a fresh interpreter, so that nothing a public path imports can affect this process.
    proc = subprocess.run([sys.executable, "-c", _CHECK_FACADES, json.dumps(FACADES)],
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == []


@pytest.mark.one_backend
def test_python_m_fasthub_wsgi_still_runs():
    proc = subprocess.run([sys.executable, "-m", "fasthub.wsgi", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "python -m fasthub.wsgi" in proc.stdout


# --- green modules without the patcher -----------------------------------------------------------------

_GREEN_WITHOUT_PATCHER = textwrap.dedent("""
    import json, socket, sys, time

    from fasthub.green import socket as gsocket, ssl as gssl, subprocess as gsubprocess
    from fasthub.green import threading as gthreading

    certs = sys.argv[1]
    out = {"patcher_after_import": "fasthub.patcher" in sys.modules}

    # TCP: a green thread (green threading) serves, the main green thread is the client.
    listener = gsocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    def echo():
        conn, _ = listener.accept()
        with conn:
            conn.sendall(conn.recv(100).upper())
    server = gthreading.Thread(target=echo)
    server.start()
    with gsocket.create_connection(listener.getsockname(), timeout=10) as c:
        c.sendall(b"ping")
        out["tcp"] = c.recv(100).decode()
    server.join(10)
    out["server_done"] = not server.is_alive()

    # TLS: the same over green ssl, with the test CA.
    sctx = gssl.SSLContext(gssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(certs + "/server.pem", certs + "/server.key")
    cctx = gssl.create_default_context(cafile=certs + "/ca.pem")
    def tls_echo():
        conn, _ = listener.accept()
        with sctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(tls.recv(100).upper())
    server = gthreading.Thread(target=tls_echo)
    server.start()
    raw = gsocket.create_connection(listener.getsockname(), timeout=10)
    with cctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"secret")
        out["tls"] = tls.recv(100).decode()
    server.join(10)

    # A child process whose output is read by green subprocess.
    out["subprocess"] = gsubprocess.check_output([sys.executable, "-c", "print('child')"],
                                                 timeout=30).decode().strip()

    out["patcher_after_use"] = "fasthub.patcher" in sys.modules
    out["stdlib_untouched"] = (socket.socket.__module__ == "socket"
                               and type(time.sleep).__name__ == "builtin_function_or_method")
    print(json.dumps(out))
""")


def test_green_modules_work_without_the_patcher(hub, certs):
    env = dict(os.environ, FASTHUB_BACKEND=hub.backend)
    proc = subprocess.run([sys.executable, "-c", _GREEN_WITHOUT_PATCHER, str(certs)], env=env,
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out == {
        "patcher_after_import": False, "tcp": "PING", "server_done": True, "tls": "SECRET",
        "subprocess": "child", "patcher_after_use": False, "stdlib_untouched": True,
    }, proc.stderr


_FORK_WITH_THE_CORE_ONLY = textwrap.dedent("""
    import os, sys

    from fasthub.core._hub import get_hub, sleep

    assert "fasthub.patcher" not in sys.modules and "fasthub.green.os" not in sys.modules
    parent = get_hub()
    r, w = os.pipe()
    parent.call_later(0.05, os.write, w, b"P")  # a parent timer that the child must not run
    pid = os.fork()
    if pid == 0:
        try:
            fresh = get_hub() is not parent
            sleep(0.1)
            os.write(w, b"C" if fresh else b"X")
        finally:
            os._exit(0)
    sleep(0.06)
    os.waitpid(pid, 0)
    os.set_blocking(r, False)
    print(sorted(os.read(r, 10).decode()))
""")


def test_the_fork_hook_lives_in_the_core(hub):
    # The hub reset in a fork()ed child is armed by loading the compiled hub: no patcher, no green.os.
    env = dict(os.environ, FASTHUB_BACKEND=hub.backend)
    proc = subprocess.run([sys.executable, "-c", _FORK_WITH_THE_CORE_ONLY], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[-2] == "['C', 'P']", proc.stdout
