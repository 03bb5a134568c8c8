"""Green counterparts of stdlib modules that do their I/O through other modules.

``http.client`` does not call the network itself: it calls ``socket.create_connection``. A green copy
of it is CPython's own module executed once more with fasthub's green ``socket``, ``ssl`` and the
other green stdlib modules in place (``fasthub.core.originals.fresh_copy``; no patching involved). Modules a level up (``urllib.request`` uses ``http.client``) need the
green copy of that module too, or they stay blocking behind it. This module knows which stdlib
modules have such a counterpart in ``fasthub.green`` and which of them a module's source imports, so
``import_patched(name)`` can hand the target the green counterparts it uses.

A counterpart keeps the stdlib's exception classes (``fasthub.green.http.client.RemoteDisconnected``
is ``http.client.RemoteDisconnected``): ``except http.client.HTTPException`` in code that never heard
of fasthub still catches what the green copy raises. Its other classes are its own (an
``isinstance(r, http.client.HTTPResponse)`` check is False for a green response, as with eventlet).
"""

import ast
import importlib
import importlib.util
import sys

from fasthub.core.originals import fresh_copy

# The stdlib modules fasthub.green has a complete green module for (every stdlib name, the blocking
# ones green): a re-executed module gets these in their place.
GREEN_STDLIB = ("socket", "ssl", "select", "selectors", "time", "threading", "_thread", "queue", "os",
                "subprocess", "signal")

# stdlib name -> the fasthub.green module that stands in for it in a re-executed module. A package
# maps to a green package whose submodule attributes are the green ones, so that code that ran
# ``import http.client`` and later calls ``http.client.HTTPConnection`` reaches the green class.
COUNTERPARTS = {
    "http": "fasthub.green.http",
    "http.client": "fasthub.green.http.client",
    "http.server": "fasthub.green.http.server",
    "http.cookiejar": "fasthub.green.http.cookiejar",
    "urllib": "fasthub.green.urllib",
    "urllib.request": "fasthub.green.urllib.request",
    "socketserver": "fasthub.green.socketserver",
}


def _imported_names(source):
    """Every module name an import statement in ``source`` can load, with its parent packages."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in found:
            parts = name.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return names


def needed_by(module_name):
    """{stdlib name: green counterpart module} for the counterparts ``module_name``'s source
    imports (its own counterpart excluded). Importing them builds them (each one a green copy)."""
    spec = importlib.util.find_spec(module_name)
    source = spec.loader.get_source(module_name) if spec and spec.loader else None
    if not source:
        return {}
    wanted = sorted(n for n in _imported_names(source) & set(COUNTERPARTS) if n != module_name)
    return {name: importlib.import_module(COUNTERPARTS[name]) for name in wanted
            if COUNTERPARTS[name] not in _building}


_building = set()


def install(green_name, stdlib_name, doc):
    """Make the module ``green_name`` (being imported) a green copy of ``stdlib_name``: CPython's
    source for it, executed with green modules in place, sharing the stdlib's exception classes."""
    _building.add(green_name)
    try:
        replacements = {name: importlib.import_module("fasthub.green." + name) for name in GREEN_STDLIB}
        replacements.update(needed_by(stdlib_name))
        copy = fresh_copy(stdlib_name, replacements)
    finally:
        _building.discard(green_name)
    original = importlib.import_module(stdlib_name)
    for name, value in list(vars(copy).items()):
        stock = getattr(original, name, None)
        if (isinstance(value, type) and issubclass(value, BaseException)
                and isinstance(stock, type) and issubclass(stock, BaseException)):
            setattr(copy, name, stock)
    copy.__doc__ = doc
    sys.modules[green_name] = copy
    return copy


def package_getattr(green_package, stock_package, green_submodules):
    """A PEP 562 ``__getattr__`` for a green package: a name in ``green_submodules`` is the green
    submodule (built on first use); any other name is the stdlib package's attribute or submodule."""

    stock = importlib.import_module(stock_package)  # now: while a copy runs, sys.modules maps it here

    def __getattr__(name):
        if name in green_submodules:
            return importlib.import_module(f"{green_package}.{name}")
        try:
            return getattr(stock, name)
        except AttributeError:
            pass
        try:
            return importlib.import_module(f"{stock.__name__}.{name}")
        except ImportError:
            raise AttributeError(f"module {green_package!r} has no attribute {name!r}") from None

    return __getattr__
