"""``eventlet.patcher``: monkey_patch, import_patched, inject, original, is_monkey_patched.

``monkey_patch(**on)`` takes eventlet's keywords and patches eventlet's groups with fasthub's green
modules: ``socket`` (socket, DNS, ssl), ``select`` (select, selectors), ``thread`` (_thread,
threading, queue), ``time``, ``os``, ``subprocess``. ``psycopg`` is covered by fasthub's socket
patching (its C drivers get a wait callback); ``MySQLdb`` and ``builtins`` are accepted and do
nothing. As in eventlet, naming some keywords True patches only those, naming some False patches
all the others, and ``signal`` is left alone.
"""

import sys

from fasthub import patcher as _patcher

__all__ = ["inject", "import_patched", "monkey_patch", "is_monkey_patched", "original",
           "patch_function", "slurp_properties"]

# eventlet keyword -> fasthub monkey_patch() groups.
_GROUPS = {
    "socket": ("socket", "dns", "ssl"),
    "select": ("select", "selectors"),
    "thread": ("thread", "queue"),
    "time": ("time",),
    "os": ("os",),
    "subprocess": ("subprocess",),
    "psycopg": ("socket",),
    "MySQLdb": (),
    "builtins": (),
    "__builtin__": (),
}
_EXCLUDE = {"__builtins__", "__file__", "__name__"}


#: eventlet's record of what monkey_patch() patched: {keyword: True}.
already_patched = {}


def _available(module_name):
    import importlib.util
    try:
        return importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        return False


def monkey_patch(**on):
    """Make the stdlib green, eventlet's way (see the module docstring)."""
    default_on = on.pop("all", None)
    unknown = set(on) - set(_GROUPS)
    if unknown:
        raise TypeError(f"monkey_patch() got an unexpected keyword argument {sorted(unknown)[0]!r}; "
                        f"eventlet's are {', '.join(k for k in _GROUPS if k != '__builtin__')}")
    if default_on is None:
        default_on = True not in on.values()
    for key in _GROUPS:
        on.setdefault(key, default_on and key not in ("MySQLdb", "builtins", "__builtin__"))
    chosen = [k for k in _GROUPS if on[k] and k not in already_patched]
    if "psycopg" in chosen and not _available("psycopg2"):
        chosen.remove("psycopg")
    if "MySQLdb" in chosen and not _available("MySQLdb"):
        chosen.remove("MySQLdb")
    groups = {g for key in chosen for g in _GROUPS[key]}
    if groups:
        _patcher.monkey_patch(**{g: True for g in sorted(groups)})
    for key in chosen:
        already_patched[key] = True
    if "thread" in chosen:
        _eventlet_current_thread()
    if "socket" in chosen:
        # eventlet's socket.socket is its GreenSocket (a fasthub green socket with eventlet's
        # extras: .fd, GreenSocket(existing_socket), EOF on a connection reset).
        import socket

        from fasthub.compat.eventlet.greenio import GreenSocket
        socket.socket = GreenSocket


class _GreenThread:
    """What ``threading.current_thread()`` gives inside a green thread started with
    ``eventlet.spawn`` (eventlet's wrapper): threading.Thread's interface over the GreenThread."""

    _numbers = __import__("itertools").count(1)

    def __init__(self, g):
        self._g = g
        self._name = f"GreenThread-{next(self._numbers)}"

    def __repr__(self):
        return f"<_GreenThread({self._name}, {self._g!r})>"

    def join(self, timeout=None):
        """Wait (at most ``timeout`` seconds) for the green thread to finish."""
        self._g.join(timeout)

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        self._name = str(value)

    def getName(self):
        return self._name

    get_name = getName

    def setName(self, name):
        self._name = str(name)

    @property
    def ident(self):
        return id(self._g)

    def is_alive(self):
        return not self._g.dead

    isAlive = is_alive

    @property
    def daemon(self):
        return True

    def is_daemon(self):
        return True

    isDaemon = is_daemon


_wrappers = {}


def _eventlet_current_thread():
    # eventlet's patched threading answers current_thread() inside an eventlet.spawn()-ed green
    # thread with a _GreenThread wrapper, and keeps the camelCase name without the stdlib's
    # DeprecationWarning; threads started by threading.Thread keep their Thread object.
    import threading

    import fasthub

    green_current = threading.current_thread
    if getattr(green_current, "_eventlet_alias", False):
        return

    def current_thread():
        thread = green_current()
        g = fasthub.getcurrent()
        if isinstance(g, fasthub.GreenThread) and isinstance(thread, threading._DummyThread):
            wrapper = _wrappers.get(id(g))
            if wrapper is None or wrapper._g is not g:
                wrapper = _wrappers[id(g)] = _GreenThread(g)
                g.link(lambda gt, key=id(g): _wrappers.pop(key, None))
            return wrapper
        return thread

    current_thread._eventlet_alias = True
    current_thread.__doc__ = green_current.__doc__
    threading.current_thread = threading.currentThread = current_thread


def is_monkey_patched(module):
    """True if monkey_patch() patched ``module`` (an eventlet keyword such as 'socket' or
    'thread', or a module object or name)."""
    name = getattr(module, "__name__", module)
    if name in already_patched:
        return True
    return _patcher.is_monkey_patched(name) and name not in _GROUPS


def original(modname):
    """The module ``modname`` with its original, unpatched attributes."""
    return _patcher.original(modname)


def import_patched(module_name, *additional_modules, **kw_additional_modules):
    """A green copy of ``module_name`` (fasthub.import_patched), executed with the extra
    ``(name, module)`` pairs in place as well; sys.modules is left as it was."""
    extra = dict(additional_modules)
    extra.update(kw_additional_modules)
    return _patcher.import_patched(module_name, extra=extra or None)


def inject(module_name, new_globals, *additional_modules):
    """Execute a green copy of ``module_name`` (with ``additional_modules``, ``(name, module)``
    pairs, in place) and copy its attributes into ``new_globals`` if given; returns the copy."""
    module = import_patched(module_name, *additional_modules)
    if new_globals is not None:
        new_globals.update({k: v for k, v in vars(module).items() if k not in _EXCLUDE})
    return module


def patch_function(func, *additional_modules):
    """Wrap ``func`` so that while it runs, sys.modules maps each ``(name, module)`` pair (default:
    fasthub's green socket, select, thread and time) to the given module."""
    import functools

    if not additional_modules:
        import fasthub.green._thread as thread
        import fasthub.green.select as select
        import fasthub.green.socket as socket
        import fasthub.green.time as time
        additional_modules = (("socket", socket), ("select", select), ("_thread", thread),
                              ("time", time))
    missing = object()

    @functools.wraps(func)
    def patched(*args, **kwargs):
        saved = {name: sys.modules.get(name, missing) for name, _ in additional_modules}
        sys.modules.update(dict(additional_modules))
        try:
            return func(*args, **kwargs)
        finally:
            for name, module in saved.items():
                if module is missing:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module

    return patched


def slurp_properties(source, destination, ignore=(), srckeys=None):
    """Copy the public attributes of ``source`` into the dict ``destination``."""
    if srckeys is None:
        srckeys = source.__all__ if hasattr(source, "__all__") else dir(source)
    destination.update({name: getattr(source, name) for name in srckeys
                        if not (name.startswith("__") or name in ignore)})
