"""Make libraries that do their own I/O in C cooperate with fasthub's hub.

Pure-Python clients (redis-py, PyMySQL, requests/urllib3, httpx, kombu ...) need nothing here: they use
the socket module, which ``fasthub.monkey_patch()`` makes green. Drivers written in C talk to the
network from C and would block the whole OS thread; each gets a module here that routes its waits
through the hub:

- ``fasthub.integrations.psycopg2.patch()``: psycopg2's wait callback (libpq in non-blocking mode).
- ``fasthub.integrations.psycopg.patch()``: psycopg 3's wait functions (its C ``wait_c`` would block).

``monkey_patch()`` calls ``patch_drivers()``, which patches each driver that is already imported and
arranges for the others to be patched the moment they are first imported, so importing order does not
matter and a program that never imports psycopg does not pay for importing it.
"""

import importlib
import importlib.util
import sys
import threading

__all__ = ["patch_drivers", "unpatch_drivers", "DRIVERS"]

#: Top-level driver module -> the fasthub module whose ``patch()`` makes it green.
DRIVERS = {
    "psycopg2": "fasthub.integrations.psycopg2",
    "psycopg": "fasthub.integrations.psycopg",
}

_lock = threading.Lock()   # captured before any patching: a real lock, held for microseconds
_pending = set()


def _patch(name):
    importlib.import_module(DRIVERS[name]).patch()


def patch_drivers():
    """Make every installed C database driver in ``DRIVERS`` green: patch it now if imported, else
    when it is first imported (an import hook on ``sys.meta_path``). Idempotent; returns None."""
    for name in DRIVERS:
        mod = sys.modules.get(name)
        if mod is not None and getattr(getattr(mod, "__spec__", None), "_initializing", False) is False:
            _patch(name)
            continue
        with _lock:
            if name in _pending:
                continue
            try:
                found = importlib.util.find_spec(name) is not None
            except (ImportError, ValueError):
                found = False
            if found:
                _pending.add(name)
                if _hook not in sys.meta_path:
                    sys.meta_path.insert(0, _hook)


def unpatch_drivers():
    """Undo patch_drivers(): drivers not imported yet are no longer patched on import, and each
    imported driver's green wait is taken out (``fasthub.unpatch()`` calls it). Returns None."""
    with _lock:
        _pending.clear()
        if _hook in sys.meta_path:
            sys.meta_path.remove(_hook)
    for name in DRIVERS:
        if name in sys.modules:
            module = sys.modules.get(DRIVERS[name])
            if module is not None:
                module.unpatch()


class _AfterExec:
    """Wraps a driver's loader: runs the real exec_module, then patches the driver."""

    def __init__(self, loader, name):
        self._loader = loader
        self._name = name

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        # Hand the module back its real loader: nothing should see this wrapper afterwards.
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        _patch(self._name)

    def __getattr__(self, attr):   # resource readers, get_source ... go to the real loader
        return getattr(self._loader, attr)


class _PatchOnImport:
    """A meta-path finder that only intercepts the first import of a pending driver."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _pending:
            return None
        with _lock:
            if fullname not in _pending:
                return None
            _pending.discard(fullname)
            if not _pending and self in sys.meta_path:
                sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _AfterExec(spec.loader, fullname)
        return spec


_hook = _PatchOnImport()
