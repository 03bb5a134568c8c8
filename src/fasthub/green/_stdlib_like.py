"""Green replacements present themselves as the stdlib objects they replace.

Once ``monkey_patch()`` has run, user code meets only the green objects, and besides blocking it can
tell a replacement from the original in a few ways, each of which has broken a real program or one
of CPython's own tests:

- Binding. A builtin function stored as a class attribute is the same object when read through an
  instance; a Python function becomes a bound method and receives the instance (werkzeug keeps
  ``lock_class = threading.Lock`` and calls ``self.lock_class()``: TypeError).
- Names. ``__module__``, ``__name__`` and ``__qualname__`` feed reprs, pydoc, CPython's
  ``support.check__all__`` and pickling by reference.
- Pickling and weak references: a builtin function pickles as a reference and can be weakly
  referenced; the C types replaced here refuse pickling, and some refuse weak references or
  subclassing.
- Signatures, where ``inspect`` can read the original's.

``like(original)`` is applied to each replacement (as a decorator). A subclass of the original keeps
its own name: it is a different class, and its instances are instances of the original too.
tests/test_patch_parity.py compares every replaced name with its original on each CPython version.
"""

import importlib
import inspect
import sys
import types

__all__ = ["like", "BuiltinLike", "own_signature"]

_BASETYPE = 1 << 10  # Py_TPFLAGS_BASETYPE: the type accepts subclasses


class BuiltinLike(staticmethod):
    """A Python function that behaves like the builtin function it replaces: it does not bind when
    stored as a class attribute (reading it through an instance gives this same object), its repr
    and names are the builtin's, it pickles as a reference and can be weakly referenced.

    A staticmethod object is callable in C (3.10+), so a call costs one indirection, not a Python
    frame. ``inspect.signature()`` follows ``__wrapped__`` to the function, whose parameters are
    written to match the builtin's (positional-only where the builtin's are)."""

    def __init__(self, function, original, home):
        super().__init__(function)
        self.__module__ = original.__module__
        self.__name__ = original.__name__
        self.__qualname__ = getattr(original, "__qualname__", original.__name__)
        # The green module that holds this object under the original's name: pickling goes there
        # when the stdlib's name is not this object (not patched, or patched in another module).
        self._home = (home, original.__name__)

    def __get__(self, obj, cls=None):
        return self

    def __repr__(self):
        return f"<built-in function {self.__name__}>"

    def __reduce__(self):
        # Like a builtin: a reference to the module attribute, which is this object once patched
        # (it then unpickles as whatever that name is in the loading process).
        module = sys.modules.get(self.__module__)
        if module is not None and getattr(module, self.__qualname__, None) is self:
            return self.__qualname__
        return _restore, self._home


def _restore(module_name, name):
    """Unpickle a BuiltinLike from its green module (when the stdlib's name is not this object)."""
    return getattr(importlib.import_module(module_name), name)


class own_signature:
    """``__signature__`` of one class only: inspect reads ``signature`` for ``owner`` itself, while
    its subclasses (which may define their own ``__init__``) are inspected normally."""

    def __init__(self, signature):
        self.signature = signature
        self.owner = None

    def __set_name__(self, owner, name):
        self.owner = owner

    def __get__(self, obj, cls=None):
        if obj is None and cls is self.owner:
            return self.signature
        raise AttributeError("__signature__")


def _signature(obj):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _refuse_pickle(self, protocol=None):
    cls = type(self)
    raise TypeError(f"cannot pickle '{cls.__module__}.{cls.__qualname__}' object")


def _refuse_subclass(cls, **kwargs):
    raise TypeError(f"type '{cls.__mro__[1].__module__}.{cls.__mro__[1].__qualname__}' is not an "
                    f"acceptable base type")


def like(original, *, signature=False):
    """Decorator: make the replacement look like ``original`` (see the module docstring).

    - a builtin function original: the replacement function is wrapped in a BuiltinLike;
    - a Python function original: the replacement function takes its names;
    - a class original, replaced by a class that is not its subclass: the class takes its names,
      refuses pickling (the C types replaced here all do) and, if the original does, subclassing;
      it must not add weak references or a ``__dict__`` the original lacks (checked here).

    ``signature=True`` also gives the replacement the original's signature, for a replacement that
    passes its arguments on to the original (which then checks them exactly). A builtin's replacement
    must be stored in the calling module under the original's name (pickling finds it there)."""

    home = sys._getframe(1).f_globals.get("__name__")  # the green module applying like()

    def apply(replacement):
        if isinstance(original, types.BuiltinFunctionType):
            return BuiltinLike(replacement, original, home)
        if isinstance(original, type):
            if isinstance(replacement, type) and issubclass(replacement, original):
                if signature:
                    _give_signature(replacement, original)
                return replacement  # a subclass keeps its own name
            _take_names(replacement, original)
            _check_layout(replacement, original)
            if not any(n in vars(replacement) for n in ("__reduce__", "__reduce_ex__", "__getstate__")):
                replacement.__reduce_ex__ = _refuse_pickle
            if not original.__flags__ & _BASETYPE:
                replacement.__init_subclass__ = classmethod(_refuse_subclass)
            if signature:
                _give_signature(replacement, original)
            return replacement
        _take_names(replacement, original)
        if signature:
            sig = _signature(original)
            if sig is not None:
                replacement.__signature__ = sig
        return replacement

    return apply


def _take_names(replacement, original):
    replacement.__module__ = original.__module__
    replacement.__name__ = original.__name__
    replacement.__qualname__ = getattr(original, "__qualname__", original.__name__)


def _give_signature(cls, original):
    sig = _signature(original)
    if sig is not None:
        holder = own_signature(sig)
        holder.owner = cls
        cls.__signature__ = holder


def _check_layout(replacement, original):
    # A developer error, caught at import: user code could tell these apart.
    if not original.__weakrefoffset__ and replacement.__weakrefoffset__:
        raise TypeError(f"{replacement!r}: {original!r} instances take no weak references; "
                        f"drop __weakref__ from __slots__")
    if not original.__dictoffset__ and replacement.__dictoffset__:
        raise TypeError(f"{replacement!r}: {original!r} instances have no __dict__; declare __slots__")
