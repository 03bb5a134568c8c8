"""Monkey patching: put fasthub's green names into stdlib modules, explicitly and auditably.

``monkey_patch()`` sets, for each selected group, the attributes listed in ``_TABLE`` (one table:
group -> stdlib module -> attribute -> where its green replacement lives) on the stdlib modules, and
keeps every original it replaced. Nothing else is touched: no module is re-imported, no source is
rewritten. Patching is idempotent and silent when repeated; patching more groups later adds them.

Late patching is the classic failure of green-thread libraries: a module that ran ``from socket import
socket`` before patching keeps the blocking class; a ``threading.Lock`` created before patching blocks
the whole OS thread. ``monkey_patch()`` looks for these (module globals that still hold an original,
locks found by a gc scan, OS threads already running) and names them in one ``LatePatchWarning``.
Locks held by ``logging`` (imported early by almost everything) are replaced by green ones instead.

Introspection: ``patched()`` (module -> names), ``is_monkey_patched()`` (eventlet's name),
``is_module_patched()`` (gevent's), ``get_original()`` (gevent's), ``original()`` (eventlet's: a
module object with the original attributes; for a pure-Python module it is a fresh copy of the module
executed against the original modules, so e.g. ``original('threading').Thread`` starts real OS
threads), and ``import_patched()`` (a green copy of one module, without patching anything globally).

Undoing it: ``unpatch()`` puts every original back and undoes what the groups' hooks did (logging's
locks, the SIGINT route, the C database drivers' waits), for tests and tools that need an unpatched
process again. Its limits are those of patching run backwards: what captured a green object while
patched keeps it. A module that ran ``from socket import socket`` while patched keeps the green
class (``unpatch()`` names such modules in an ``UnpatchWarning``); locks, queues, sockets and
``threading.Thread`` objects created while patched stay green (they keep working: green primitives
work in an unpatched program too); threads started while patched stay green threads; a signal
handler set while patched stays behind fasthub's dispatcher until it is set again.
"""

import gc
import importlib
import sys
import types
import warnings

from fasthub.core.originals import ABSENT as _ABSENT
from fasthub.core.originals import after_copy as _after_copy
from fasthub.core.originals import aliases as _aliases
from fasthub.core.originals import fresh_copy as _fresh_copy
from fasthub.core.originals import get_original, original_attrs
from fasthub.core.originals import saved as _saved

__all__ = [
    "monkey_patch", "patched", "is_monkey_patched", "is_module_patched", "original", "get_original",
    "import_patched", "unpatch", "LatePatchWarning", "UnpatchWarning",
]


class LatePatchWarning(RuntimeWarning):
    """monkey_patch() ran after something captured an original object it replaces (a module did
    ``from socket import socket``, a lock was created, an OS thread was started). The message names
    each culprit; patch earlier (first thing in the program, or ``python -m fasthub app.py``)."""


class UnpatchWarning(RuntimeWarning):
    """unpatch() restored the originals, but some module captured a green replacement while the
    process was patched (``from socket import socket`` after monkey_patch()) and keeps it. The
    message names each one; import such modules after unpatch(), or reload them."""


class _Bound:
    """A table entry built per target module: ``factory(stdlib_module)`` returns the replacement."""

    __slots__ = ("source",)

    def __init__(self, source):
        self.source = source

    def __repr__(self):
        return f"_Bound({self.source!r})"


_G = "fasthub.green."

# The one table: group keyword -> stdlib module -> attribute -> green replacement ("module:name", or
# _Bound("module:factory") for a replacement made for that module). A name the running CPython's module
# does not have is skipped (version-specific names: 3.13's _thread.start_joinable_thread ...).
_TABLE = {
    "socket": {
        "socket": {n: _G + "socket:" + n for n in (
            "socket", "fromfd", "socketpair", "create_server", "create_connection")},
    },
    "dns": {
        "socket": {n: _G + "socket:" + n for n in (
            "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo",
            "getfqdn")},
    },
    "ssl": {
        "ssl": {n: _G + "ssl:" + n for n in (
            "SSLContext", "SSLSocket", "create_default_context", "_create_unverified_context",
            "_create_default_https_context", "_create_stdlib_context", "get_server_certificate",
            "socket", "create_connection", "wrap_socket")},
    },
    "select": {
        "select": {n: _G + "select:" + n for n in ("select", "poll", "epoll", "kqueue")},
    },
    "selectors": {
        "selectors": {n: _G + "selectors:" + n for n in (
            "DefaultSelector", "SelectSelector", "PollSelector", "EpollSelector", "KqueueSelector")},
    },
    "time": {
        "time": {"sleep": _G + "time:sleep"},
    },
    "thread": {
        "_thread": {n: _G + "_thread:" + n for n in (
            "allocate_lock", "allocate", "LockType", "lock", "RLock", "get_ident",
            "start_new_thread", "start_new", "_local", "_count", "_set_sentinel",
            "start_joinable_thread", "_ThreadHandle", "_make_thread_handle", "_shutdown")},
        "threading": {
            "_allocate_lock": _G + "_thread:allocate_lock",
            "Lock": _G + "_thread:threading_Lock",
            "_LockType": _G + "_thread:LockType",
            "_CRLock": _G + "_thread:RLock",
            "get_ident": _G + "_thread:get_ident",
            "local": _G + "_thread:_local",
            "_start_new_thread": _G + "_thread:start_new_thread",
            "_set_sentinel": _G + "_thread:_set_sentinel",
            "_start_joinable_thread": _G + "_thread:start_joinable_thread",
            "_ThreadHandle": _G + "_thread:_ThreadHandle",
            "_make_thread_handle": _G + "_thread:_make_thread_handle",
            "_thread_shutdown": _G + "_thread:_shutdown",
            "current_thread": _Bound(_G + "_thread:current_thread_for"),
            "_thread_local_info": _Bound(_G + "_thread:local_for"),
        },
    },
    "queue": {
        "queue": {n: _G + "queue:" + n for n in ("Queue", "LifoQueue", "PriorityQueue", "SimpleQueue")},
    },
    "os": {
        "os": {n: _G + "os:" + n for n in ("read", "write", "waitpid", "wait")},
    },
    "subprocess": {
        # Only Popen: the stdlib's run/call/check_call/check_output look it up in the module.
        "subprocess": {"Popen": _G + "subprocess:Popen"},
    },
    "signal": {
        "signal": {n: _G + "signal:" + n for n in ("signal", "getsignal", "set_wakeup_fd")},
    },
}

_GROUPS = tuple(_TABLE)
# Module names that is_monkey_patched()/is_module_patched() also accept, for eventlet/gevent habits.
_GROUP_ALIASES = {"threading": "thread", "_thread": "thread"}

_applied = {}      # module name -> {attribute: replacement}
_groups_done = set()
_copies = {}       # module name -> module object made by original()


# --- originals (recorded in fasthub.core.originals, which green modules read) ------------------------

def _attr_copy(name, attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def _is_python_source(module):
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if spec is None or origin is None:
        return False
    if origin == "frozen":
        return True
    return origin.endswith(".py")


# Modules original() gives as an attribute copy even though they are Python: their patched names are
# C functions, and re-running them would duplicate process-wide state (os.environ, signal enums).
_ATTR_COPY_ONLY = {"os", "signal"}
_in_progress = set()


def _uses_patched_modules(module):
    if module.__name__ in _saved:
        return True
    return any(isinstance(v, types.ModuleType) and v.__name__ in _saved for v in vars(module).values())


def original(module_name):
    """A module object holding the ORIGINAL attributes of ``module_name`` (eventlet's name).

    For a C module, or a module that uses nothing patched, it is a copy of the module's attributes
    with the originals put back (``original('time').sleep`` is the real sleep). For a pure-Python
    module that is patched or imports a patched module it is a fresh copy of that module executed
    against the original modules, so its functions use the real primitives as well
    (``original('threading').Thread`` starts a real OS thread). Cached until the next patching."""
    module = importlib.import_module(module_name)
    cached = _copies.get(module_name)
    if cached is not None:
        return cached
    if (module_name in _ATTR_COPY_ONLY or module_name in _in_progress
            or not _is_python_source(module) or not _uses_patched_modules(module)):
        copy = _attr_copy(module_name, original_attrs(module_name))
    else:
        _in_progress.add(module_name)
        try:
            deps = {m: original(m) for m in list(_saved) if m != module_name}
        finally:
            _in_progress.discard(module_name)
        copy = _fresh_copy(module_name, deps)
        _after_copy(copy, module_name)
    if _saved:
        _copies[module_name] = copy
    return copy


def _green_view(module_name):
    """A module object that is ``module_name`` with every green replacement in place."""
    if module_name == "threading":
        return importlib.import_module(_G + "threading")  # a full green copy of threading
    try:
        green = importlib.import_module(_G + module_name)
    except ImportError:
        green = None
    attrs = original_attrs(module_name)
    if green is not None:
        attrs.update({k: v for k, v in vars(green).items() if not k.startswith("__")})
    module = importlib.import_module(module_name)
    for attr, replacement in _resolve_module(module_name, module).items():
        attrs[attr] = replacement
    return _attr_copy(module_name, attrs)


def import_patched(module_name, extra=None):
    """A new copy of ``module_name`` whose imports of socket, ssl, select, selectors, time, threading,
    _thread, queue, os, subprocess and signal get fasthub's green versions, and whose imports of
    http.client, http.server, http.cookiejar, urllib.request and socketserver get their green copies
    (``fasthub.green.http.client`` ...), so ``import_patched('urllib.request')`` is green all the way
    down; nothing is patched globally and ``sys.modules`` is left as it was (eventlet's name).
    ``extra``: a {module name: module} dict the copy also gets in place of those modules.
    Raises ImportError if the module cannot be found or is not Python source."""
    from fasthub.green import _counterparts

    module = importlib.import_module(module_name)
    if not _is_python_source(module):
        raise ImportError(f"fasthub.import_patched: {module_name!r} is not a Python source module")
    targets = {m for group in _TABLE.values() for m in group}
    targets.discard(module_name)
    replacements = {m: _green_view(m) for m in sorted(targets)}
    replacements.update(_counterparts.needed_by(module_name))
    replacements.update(extra or {})
    return _fresh_copy(module_name, replacements)


# --- resolving the table -----------------------------------------------------------------------------

def _load(source):
    module_name, _, attr = source.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ImportError(f"fasthub.monkey_patch: {module_name} is not available ({e})") from e
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f"fasthub.monkey_patch: {module_name} has no {attr!r}") from None


def _resolve_module(module_name, module):
    """{attribute: replacement} for one stdlib module, over every group that names it."""
    out = {}
    for group in _TABLE.values():
        for attr, source in group.get(module_name, {}).items():
            if not hasattr(module, attr) and attr not in _saved.get(module_name, {}):
                continue  # not in this CPython version
            if isinstance(source, _Bound):
                out[attr] = _applied.get(module_name, {}).get(attr) or _load(source.source)(module)
            else:
                out[attr] = _load(source)
    return out


def _resolve_group(group):
    plan = {}
    for module_name, entries in _TABLE[group].items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # this Python was built without it (e.g. no OpenSSL): nothing to patch
        repl = {}
        for attr, source in entries.items():
            if not hasattr(module, attr):
                continue
            if isinstance(source, _Bound):
                repl[attr] = _load(source.source)(module)
            else:
                repl[attr] = _load(source)
        plan[module_name] = (module, repl)
    return plan


# --- monkey_patch ------------------------------------------------------------------------------------

def _selected_groups(all, options):
    unknown = set(options) - set(_GROUPS)
    if unknown:
        raise TypeError(f"fasthub.monkey_patch: unknown module keyword(s) {sorted(unknown)}; "
                        f"known: {', '.join(_GROUPS)}")
    chosen = [g for g in _GROUPS if options.get(g)]
    if chosen:
        return chosen
    if not all:
        return []
    return [g for g in _GROUPS if options.get(g) is not False]


def monkey_patch(all=True, socket=None, ssl=None, select=None, selectors=None, time=None, thread=None,
                 queue=None, os=None, subprocess=None, signal=None, dns=None):
    """Replace blocking names in stdlib modules with fasthub's green versions (eventlet's name).

    With no arguments every group is patched: socket, dns, ssl, select, selectors, time, thread
    (``_thread`` and ``threading``), queue, os, subprocess, signal. Naming some groups True patches
    only those; naming some False patches all but those. Idempotent: a repeated call patches only
    groups not yet patched and warns about nothing it warned about before. Warns LatePatchWarning
    naming modules, locks and OS threads that captured originals before this call. Returns None.
    """
    options = {"socket": socket, "ssl": ssl, "select": select, "selectors": selectors, "time": time,
               "thread": thread, "queue": queue, "os": os, "subprocess": subprocess,
               "signal": signal, "dns": dns}
    options = {k: v for k, v in options.items() if v is not None}
    groups = [g for g in _selected_groups(all, options) if g not in _groups_done]
    if not groups:
        return
    if "thread" in groups:
        import threading  # noqa: F401  (captures the real primitives first: the same order always)
    # Resolve everything before changing anything: a missing green module changes nothing.
    plans = [(g, _resolve_group(g)) for g in groups]
    newly = {}
    for group, plan in plans:
        for module_name, (module, repl) in plan.items():
            saved = _saved.setdefault(module_name, {})
            applied = _applied.setdefault(module_name, {})
            for attr, value in repl.items():
                if attr not in saved:
                    saved[attr] = getattr(module, attr, _ABSENT)
                    newly.setdefault(module_name, {})[attr] = saved[attr]
                setattr(module, attr, value)
                applied[attr] = value
        _groups_done.add(group)
    _copies.clear()
    for group in groups:
        hook = _AFTER_PATCH.get(group)
        if hook is not None:
            (_load(hook) if isinstance(hook, str) else hook)()
    if "socket" in groups:   # C database drivers (psycopg2, psycopg 3) bypass the socket module
        _load(_PATCH_DRIVERS)()
    _green_stdlib_aliases(newly)
    culprits = _late_patch_report(newly, thread_patched="thread" in groups)
    if culprits:
        warnings.warn(
            "fasthub.monkey_patch() ran after these captured the originals it replaces; they keep "
            "blocking the whole OS thread:\n  " + "\n  ".join(culprits) +
            "\nCall fasthub.monkey_patch() before importing anything else, or run the program with "
            "`python -m fasthub app.py`.", LatePatchWarning, stacklevel=2)


def unpatch():
    """Undo every monkey_patch(): put back each original attribute (and delete each one patching
    added), give logging real locks again, stop routing SIGINT through fasthub's dispatcher, and
    take the C database drivers' green waits out. Harmless when nothing is patched.

    Returns what was restored, as ``patched()`` reported it before the call. Warns UnpatchWarning
    naming modules that captured a green replacement while patched: they keep it (see the module
    docstring for the other limits). Not thread-safe against code running meanwhile in other OS
    threads: call it from a quiet process (a test's teardown, a tool).
    """
    restored = patched()
    if not _saved:
        return restored
    greens = {}
    for module_name, attrs in _applied.items():
        for attr, value in attrs.items():
            if callable(value):
                greens.setdefault(id(value), f"{module_name}.{attr}")
    groups = set(_groups_done)
    for module_name, originals in list(_saved.items()):
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for attr, value in originals.items():
            if value is _ABSENT:
                if attr in vars(module):
                    delattr(module, attr)
            else:
                setattr(module, attr, value)
    for module_name, originals in list(_aliases.items()):
        module = sys.modules.get(module_name)
        if module is not None:
            for attr, value in originals.items():
                setattr(module, attr, value)
    _saved.clear()
    _aliases.clear()
    _applied.clear()
    _groups_done.clear()
    _copies.clear()
    for group in _GROUPS:
        hook = _AFTER_UNPATCH.get(group)
        if group in groups and hook is not None:
            (_load(hook) if isinstance(hook, str) else hook)()
    if "socket" in groups:
        _load(_UNPATCH_DRIVERS)()
    holders = _holders_of(greens)
    if holders:
        warnings.warn(
            "fasthub.unpatch() restored the originals, but these modules captured a green "
            "replacement while patched and keep it:\n  " + "\n  ".join(
                _holder_text(mod, cls, attr, what, "green") for mod, cls, attr, what in holders)
            + "\nImport them after unpatch() (or reload them) to get the originals.",
            UnpatchWarning, stacklevel=2)
    return restored


def patched():
    """What monkey_patch() has replaced: {module name: sorted list of attribute names} (including
    the stdlib modules' own copies of replaced names, see _green_stdlib_aliases())."""
    out = {m: sorted(attrs) for m, attrs in _applied.items() if attrs}
    for m, attrs in _aliases.items():
        out[m] = sorted(set(out.get(m, ())) | set(attrs))
    return out


def _green_stdlib_aliases(newly):
    """Give the green replacement to stdlib modules, loaded before this call, that keep an original
    under a name of their own: ``functools.RLock`` (cached_property's lock on 3.10-3.11),
    ``socketserver._ServerSelector``, ``telnetlib._TelnetSelector``, ``tempfile._allocate_lock``,
    ``reprlib.get_ident``, ``ftplib._SSLSocket``... Such a module means "the object that module
    gives", so it gets what that module gives now. (functools is imported by almost everything before
    a program can patch: without this every cached_property of 3.10-3.11 takes a real RLock, which
    all green threads of an OS thread own at once, so two of them compute the same property.)
    Other modules are not changed behind their back: the late-patch warning names them."""
    replacement = {}
    for module_name, attrs in newly.items():
        module = sys.modules[module_name]
        for attr, value in attrs.items():
            if value is not _ABSENT:
                replacement.setdefault(id(value), (value, getattr(module, attr)))
    for mod_name, module in list(sys.modules.items()):
        if (module is None or not _is_stdlib(mod_name) or _skip_holder_module(mod_name)
                or not _is_python_source(module)):
            continue
        for attr, value in list(vars(module).items()):
            hit = replacement.get(id(value))
            if hit is not None and hit[0] is value:
                _aliases.setdefault(mod_name, {}).setdefault(attr, value)
                setattr(module, attr, hit[1])


def is_monkey_patched(name):
    """True if the group or module ``name`` is patched (eventlet's name): 'socket', 'thread',
    'threading', 'os', 'time', ..."""
    name = _GROUP_ALIASES.get(name, name)
    if name in _groups_done:
        return True
    return any(name in _TABLE[g] for g in _groups_done)


def is_module_patched(name):
    """gevent's name for is_monkey_patched()."""
    return is_monkey_patched(name)


# --- late patching: who captured the originals? ------------------------------------------------------

# Holders that are expected to keep originals: the patched modules themselves, fasthub (its tpool and
# green modules use real primitives on purpose), and the import machinery.
_SKIP_MODULES = ("fasthub", "importlib", "_frozen_importlib", "_frozen_importlib_external", "greenlet")


def _is_stdlib(module_name):
    top = module_name.partition(".")[0]
    return top in getattr(sys, "stdlib_module_names", ()) or top in sys.builtin_module_names


def _skip_holder_module(module_name):
    if module_name is None:
        return True
    top = module_name.partition(".")[0]
    if top in _SKIP_MODULES:
        return True
    if any(module_name in g for g in _TABLE.values()):
        return True
    return False


def _late_patch_report(newly, thread_patched):
    culprits = []
    originals = {}
    for module_name, attrs in newly.items():
        for attr, value in attrs.items():
            if value is not _ABSENT and callable(value):
                originals.setdefault(id(value), f"{module_name}.{attr}")
    # 1. Module globals and class attributes bound to an original (from socket import socket;
    # from time import sleep; lock_class = threading.Lock).
    for mod_name, cls, attr, what in _holders_of(originals):
        when = (f"it ran `from {what.rpartition('.')[0]} import ...` before patching" if cls is None
                else "set when the class was defined, before patching")
        culprits.append(f"{_holder_text(mod_name, cls, attr, what, 'original')} ({when})")
    if thread_patched:
        culprits.extend(_pre_patch_locks())
        culprits.extend(_running_threads())
    return culprits


def _holders_of(objects):
    """(module name, class or None, attribute, description) for each global of a non-stdlib,
    non-fasthub module bound to one of ``objects`` ({id(object): description}), and for each
    attribute of a class defined in such a module bound to one."""
    found = []
    seen = set()  # one module may be in sys.modules under two names (requests.packages.urllib3)
    for mod_name, module in list(sys.modules.items()):
        if module is None or _skip_holder_module(mod_name) or _is_stdlib(mod_name):
            continue
        if id(module) in seen:
            continue
        seen.add(id(module))
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for attr, value in items:
            what = objects.get(id(value))
            if what is not None:
                found.append((mod_name, None, attr, what))
            elif issubclass(type(value), type) and vars(value).get("__module__") == mod_name:
                # (type() and vars(): a proxy object, werkzeug's LocalProxy, may raise on __class__)
                found.extend((mod_name, value, cattr, cwhat)
                             for cattr, cwhat in _class_attributes_in(value, objects))
    return found


def _class_attributes_in(cls, objects):
    # Class attributes bound to one of ``objects`` (werkzeug's ``lock_class = threading.Lock``):
    # every instance reaches it through them. staticmethod/classmethod wrappers are looked into.
    out = []
    for attr, value in list(vars(cls).items()):
        if type(value) in (staticmethod, classmethod):
            value = value.__func__
        what = objects.get(id(value))
        if what is not None:
            out.append((attr, what))
    return out


def _holder_text(mod_name, cls, attr, what, kind):
    """How a holder found by _holders_of() is named in a warning (``kind``: original or green)."""
    if cls is None:
        return f"module {mod_name!r} holds the {kind} {what} as {attr!r}"
    return f"class {mod_name}.{cls.__qualname__} holds the {kind} {what} as its attribute {attr!r}"


def _lock_types():
    types_ = [get_original("_thread", "LockType")]
    rlock = get_original("_thread", "RLock")
    if isinstance(rlock, type):
        types_.append(rlock)
    return tuple(types_)


def _pre_patch_locks():
    lock_types = _lock_types()
    locks = [o for o in gc.get_objects() if type(o) in lock_types]
    if not locks:
        return []
    ids = {id(o) for o in locks}
    module_dicts = {id(vars(m)): name for name, m in list(sys.modules.items())
                    if m is not None and hasattr(m, "__dict__")}
    found = []
    dict_holders = []
    for ref in gc.get_referrers(*locks):
        if isinstance(ref, dict):
            mod_name = module_dicts.get(id(ref))
            if mod_name is not None:
                if not _skip_holder_module(mod_name) and not _is_stdlib(mod_name):
                    for attr, value in ref.items():
                        if id(value) in ids:
                            found.append(f"module {mod_name!r}: {attr} = {_lock_name(value)} was created "
                                         f"before patching")
            else:
                dict_holders.append(ref)
        elif hasattr(type(ref), "__dict__") and not isinstance(ref, (list, tuple, set, type)):
            found.extend(_describe_instance(ref, ids))
    if dict_holders:
        dict_ids = {id(d): d for d in dict_holders}
        for owner in gc.get_referrers(*dict_holders):
            d = getattr(owner, "__dict__", None) if not isinstance(owner, dict) else None
            if d is not None and id(d) in dict_ids:
                found.extend(_describe_instance(owner, ids))
    return sorted(set(found))


def _lock_name(lock):
    return "threading.RLock()" if "RLock" in type(lock).__name__ else "threading.Lock()"


def _describe_instance(obj, ids):
    cls = type(obj)
    module = getattr(cls, "__module__", None)
    if _skip_holder_module(module) or module is None or _is_stdlib(module):
        return []
    try:
        attrs = vars(obj)
    except TypeError:
        return []
    return [f"{module}.{cls.__qualname__} object at {id(obj):#x}: .{attr} = {_lock_name(value)} was "
            f"created before patching" for attr, value in attrs.items() if id(value) in ids]


def _running_threads():
    frames = sys._current_frames()
    me = get_original("_thread", "get_ident")()
    from fasthub.green._thread import _internal_thread_idents
    pool_idents = set(_internal_thread_idents())  # tpool workers, the monitor: fasthub's own
    threading = sys.modules.get("threading")
    names = {}
    if threading is not None:
        for t in list(threading._active.values()):
            names[t.ident] = t.name
    out = []
    for ident in frames:
        if ident == me or ident in pool_idents:
            continue
        out.append(f"OS thread {names.get(ident, ident)!r} was already running (started before "
                   f"patching, it stays a real thread and its locks are real)")
    return out


def _green_logging_locks():
    # logging is imported early by almost everything; its module lock and each handler's lock were
    # made before patching. Replace those that nobody holds by green ones instead of warning.
    _swap_logging_locks(_lock_types())


def _real_logging_locks():
    # unpatch(): the locks logging got while patched (swapped in above, or made by handlers created
    # meanwhile) are green; give it real ones again, made by the restored threading.
    from fasthub.green import _thread as green_thread
    _swap_logging_locks((green_thread.RLock, green_thread.LockType))


def _swap_logging_locks(lock_types):
    # Replace logging's module lock and each handler's lock that is of ``lock_types`` and free by a
    # new threading.RLock() (green or real, depending on what threading is now).
    logging = sys.modules.get("logging")
    if logging is None:
        return
    import threading
    old = getattr(logging, "_lock", None)
    if type(old) in lock_types and old.acquire(False):
        try:
            logging._lock = threading.RLock()
        finally:
            old.release()
    for ref in list(getattr(logging, "_handlerList", ())):
        handler = ref()
        lock = getattr(handler, "lock", None)
        if handler is not None and type(lock) in lock_types and lock.acquire(False):
            try:
                handler.createLock()
            finally:
                lock.release()


# The C database drivers' hook, named like the table's replacements and loaded only when socket is
# patched: fasthub.integrations sits above the patcher, which imports nothing from it.
_PATCH_DRIVERS = "fasthub.integrations:patch_drivers"

_UNPATCH_DRIVERS = "fasthub.integrations:unpatch_drivers"

# What a group needs done once its names are in place, and undone once the originals are back.
_AFTER_PATCH = {
    "thread": _green_logging_locks,
    "signal": _G + "signal:_after_patch",
}
_AFTER_UNPATCH = {
    "thread": _real_logging_locks,
    "signal": _G + "signal:_after_unpatch",
}
