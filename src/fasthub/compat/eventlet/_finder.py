"""The ``sys.meta_path`` finder that makes ``import eventlet`` resolve to fasthub's alias package.

``eventlet.X`` is ``fasthub.compat.eventlet.X`` (the very same module object, imported under both
names), except the green stdlib modules, which are fasthub's own: ``eventlet.green.socket`` is
``fasthub.green.socket``, ``eventlet.green.urllib.request`` is ``fasthub.green.urllib.request``.
The finder sits first on ``sys.meta_path``, so the alias wins whether or not the real eventlet is
installed; it answers for no other name.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

_PACKAGE = __name__.rpartition(".")[0]           # fasthub.compat.eventlet

# eventlet module name (or package prefix) -> fasthub module. Longest prefix wins; anything not
# listed maps eventlet.X to fasthub.compat.eventlet.X.
REDIRECTS = {
    "eventlet.green.ssl": "fasthub.green.ssl",
    "eventlet.green.selectors": "fasthub.green.selectors",
    "eventlet.green.time": "fasthub.green.time",
    "eventlet.green.threading": "fasthub.green.threading",
    "eventlet.green.os": "fasthub.green.os",
    "eventlet.green.subprocess": "fasthub.green.subprocess",
    "eventlet.green.Queue": "fasthub.green.queue",
    "eventlet.green.urllib": "fasthub.green.urllib",
    "eventlet.green.http": "fasthub.green.http",
    "eventlet.green.httplib": "fasthub.green.http.client",
    "eventlet.green.socketserver": "fasthub.green.socketserver",
    "eventlet.green.SocketServer": "fasthub.green.socketserver",
    "eventlet.green.BaseHTTPServer": "fasthub.green.http.server",
}


def target_of(name):
    """The fasthub module that stands for the eventlet module ``name`` (None: not eventlet's).

    Also answers ``fasthub.compat.eventlet.green.socket`` and the like: ``from eventlet.green import
    socket`` imports the submodule under the package's own ``__name__``."""
    if name.startswith(_PACKAGE + "."):
        target = target_of("eventlet" + name[len(_PACKAGE):])
        return None if target is None or target.startswith(_PACKAGE) else target
    if name != "eventlet" and not name.startswith("eventlet."):
        return None
    parts = name.split(".")
    for i in range(len(parts), 1, -1):
        prefix = ".".join(parts[:i])
        if prefix in REDIRECTS:
            return REDIRECTS[prefix] + name[len(prefix):]
    return _PACKAGE + name[len("eventlet"):]


class _AliasLoader(importlib.abc.Loader):
    """Loads an eventlet name as the already-imported fasthub module it stands for."""

    def __init__(self, target):
        self.target = target
        self._spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        # The import system set __spec__ to the eventlet-named spec; the module keeps its own name
        # and spec (so importlib.reload() and pickling see the fasthub module).
        if self._spec is not None:
            module.__spec__ = self._spec


class EventletFinder(importlib.abc.MetaPathFinder):
    """Answers ``eventlet`` and ``eventlet.*`` imports with fasthub modules (see the module doc)."""

    def find_spec(self, fullname, path=None, target=None):
        target_name = target_of(fullname)
        if target_name is None:
            return None
        try:
            found = importlib.util.find_spec(target_name)
        except ImportError:
            found = None
        if found is None and target_name not in sys.modules:
            return None  # eventlet has it, fasthub does not: a plain ModuleNotFoundError
        is_package = bool(found is not None and found.submodule_search_locations is not None)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(target_name),
                                              is_package=is_package)


_finder = EventletFinder()


def installed():
    """True if ``import eventlet`` resolves to fasthub in this process."""
    return _finder in sys.meta_path


def install():
    """Make ``import eventlet`` (and every ``eventlet.*`` submodule) resolve to fasthub's alias.

    Call it before anything imports eventlet (``python -m fasthub --eventlet app.py`` does).
    Idempotent. Patches nothing: the program's own ``eventlet.monkey_patch()`` does that. Raises
    RuntimeError if the real eventlet was imported already (its green threads and fasthub's
    cannot be mixed in one process)."""
    if installed():
        return
    real = sorted(name for name, module in sys.modules.items()
                  if (name == "eventlet" or name.startswith("eventlet.")) and module is not None
                  and not getattr(module, "__name__", "").startswith("fasthub."))
    if real:
        raise RuntimeError(
            "fasthub.compat.eventlet.install(): the real eventlet is already imported "
            f"({', '.join(real[:3])}{' ...' if len(real) > 3 else ''}); install the alias before "
            "anything imports eventlet, or start the program with `python -m fasthub --eventlet`")
    sys.meta_path.insert(0, _finder)


def uninstall():
    """Remove the finder and forget the eventlet names it gave (for tests); fasthub's modules stay."""
    while _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if n == "eventlet" or n.startswith("eventlet.")]:
        del sys.modules[name]


def submodule_getattr(eventlet_package):
    """A PEP 562 ``__getattr__`` for an alias package: ``eventlet.green.socket`` (an attribute,
    without importing it first) imports the submodule, as eventlet's eager imports make it work."""

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        target = target_of(f"{eventlet_package}.{name}")
        if target is not None and importlib.util.find_spec(target) is not None:
            return importlib.import_module(target)
        raise AttributeError(f"module {eventlet_package!r} has no attribute {name!r}")

    return __getattr__
