"""The stdlib originals: every attribute ``monkey_patch()`` replaced, as it was before.

Green modules need the real primitives underneath their green ones (a real lock inside a green lock,
the real ``os.read`` inside the green one), and they must work the same whether or not the program
patched. So the originals live here, below everything: ``fasthub.patcher`` records each attribute
in ``saved`` before it sets the green replacement, and green modules read them with
``get_original()`` and ``original_attrs()``. Before any patching an original is simply the module's
current attribute. Nothing here imports the patcher, so nothing below it has to.

``fresh_copy()`` executes a new copy of a pure-Python stdlib module against other modules (green
``threading`` is CPython's ``threading`` run on the green ``_thread``; the patcher's ``original()``
runs one against the originals).
"""

import _imp
import importlib
import importlib.util
import sys

__all__ = ["get_original", "original_attrs", "fresh_copy", "after_copy", "saved", "aliases", "ABSENT"]

#: Marks an attribute the module did not have before patching (patching added it).
ABSENT = object()

#: module name -> {attribute: original value (or ABSENT)}; written only by fasthub.patcher.
saved = {}

#: stdlib module name -> {attribute: original}: the stdlib modules' own names for an original
#: (functools.RLock, socketserver._ServerSelector) that the patcher also replaced; written only by
#: fasthub.patcher (its _green_stdlib_aliases()).
aliases = {}


def get_original(module_name, attribute):
    """The original value of ``module_name.attribute``, whether or not it is patched (gevent's name).

    Raises ImportError if the module cannot be imported and AttributeError if it has no such name."""
    originals = saved.get(module_name)
    if originals is not None and attribute in originals:
        value = originals[attribute]
        if value is ABSENT:
            raise AttributeError(f"module {module_name!r} has no attribute {attribute!r}")
        return value
    alias = aliases.get(module_name)
    if alias is not None and attribute in alias:
        return alias[attribute]
    return getattr(_module(module_name), attribute)


def _module(module_name):
    # sys.modules first: on 3.10, import_module() of a module already imported still takes an
    # import lock, made with whatever _thread.allocate_lock is at that moment (a patched, green one),
    # and the originals are read in places that must not use patched primitives (a hub being created).
    module = sys.modules.get(module_name)
    return module if module is not None else importlib.import_module(module_name)


def original_attrs(module_name):
    """A dict of the module's attributes with every patched one set back to its original."""
    attrs = dict(vars(_module(module_name)))
    for name, value in saved.get(module_name, {}).items():
        if value is ABSENT:
            attrs.pop(name, None)
        else:
            attrs[name] = value
    return attrs


def after_copy(copy, module_name):
    """Give a fresh copy what the real module gets from the interpreter: a copy of ``threading``
    is shut down (its non-daemon threads joined) at exit like the real one."""
    if module_name == "threading":
        import threading
        threading._register_atexit(copy._shutdown)


def fresh_copy(name, replacements):
    """Execute a new copy of the Python module ``name`` while ``sys.modules`` maps each key of
    ``replacements`` to the given module; sys.modules (and the parent package) are restored after.
    Raises ImportError if the module's source cannot be found."""
    importlib.import_module(name)  # its dependencies are then loaded normally, with the originals
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"fasthub: cannot find the source of module {name!r}")
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    parent_attr = getattr(parent, child, ABSENT) if parent is not None else ABSENT
    _imp.acquire_lock()
    try:
        before = {key: sys.modules.get(key, ABSENT) for key in (*replacements, name)}
        try:
            sys.modules.update(replacements)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        finally:
            for key, value in before.items():
                if value is ABSENT:
                    sys.modules.pop(key, None)
                else:
                    sys.modules[key] = value
            if parent is not None:
                if parent_attr is ABSENT:
                    if getattr(parent, child, None) is not None:
                        delattr(parent, child)
                else:
                    setattr(parent, child, parent_attr)
    finally:
        _imp.release_lock()
    return module
