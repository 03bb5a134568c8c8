"""Facts about every name monkey_patch() replaces, before and after patching (run by
test_patch_parity.py in a fresh interpreter: patching is process-wide).

    python _patch_parity_child.py OUTPUT_JSON

For each (module, name) of fasthub.patcher's table that this CPython has, the same questions are
asked of the stdlib object (before patching) and of the green one (after patching, through the
stdlib module, as user code reaches it): what kind of callable it is, what it becomes when stored
as a class attribute and read through an instance, its signature, what calls with bad arguments
raise, the shape of its repr, whether it and its instances pickle and take weak references,
whether it can be subclassed, and how it relates (identity, isinstance, issubclass) to the other
replaced names. Writes {"before": {key: facts}, "after": {key: facts}} as JSON.

Each call is watched: one that does not return within PROBE_TIMEOUT seconds makes faulthandler
print every stack and end the process, after the name of the probe was printed to stderr.
"""

import faulthandler
import importlib
import inspect
import json
import pickle
import re
import sys
import types
import warnings
import weakref

from fasthub import patcher

PROBE_TIMEOUT = 15

# Calls with arguments no replaced name accepts as meaningful (no strings: a host name would be
# looked up). Results are closed when they hold resources.
_O = object()
PROBES = {
    "()": ((), {}),
    "(object())": ((_O,), {}),
    "(object(), object())": ((_O, _O), {}),
    "(object() x3)": ((_O, _O, _O), {}),
    "(object() x4)": ((_O, _O, _O, _O), {}),
    "(-1)": ((-1,), {}),
    "(-1, -1)": ((-1, -1), {}),
    "(-1 x3)": ((-1, -1, -1), {}),
    "(None x9)": ((None,) * 9, {}),
    "(fasthub_bogus=1)": ((), {"fasthub_bogus": 1}),
}
# Probes not made for a name: they would do real work that is not about bad arguments.
NO_PROBE = {
    ("socket", "getfqdn"): {"()"},          # resolves this host's name
    ("socket", "socketpair"): {"(-1)", "(-1, -1)", "(-1 x3)"},
}


def entries():
    """[(module, name)] of the patch table that exist on this CPython, sorted."""
    out = set()
    for group in patcher._TABLE.values():
        for module_name, names in group.items():
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            out.update((module_name, n) for n in names if hasattr(module, n))
    return sorted(out)


def _watch(label):
    sys.stderr.write(f"probe: {label}\n")
    sys.stderr.flush()
    faulthandler.dump_traceback_later(PROBE_TIMEOUT, exit=True)


def _release(result):
    # Close sockets, selectors ... that a successful call returned.
    items = result if isinstance(result, tuple) else (result,)
    for item in items:
        close = getattr(item, "close", None)
        if callable(close) and not isinstance(item, type):
            try:
                close()
            except Exception:  # noqa: BLE001 - cleanup only
                pass


_ADDR = re.compile(r"0x[0-9a-fA-F]+")
_NUM = re.compile(r"\d+")


def shape(text, own=None, stdlib=None):
    """A repr with addresses and numbers (fds, ports, idents) made neutral; the green object's own
    qualified name (``own``) is written as the stdlib one's (a subclass shows its own name)."""
    if own and stdlib and own != stdlib:
        text = text.replace(own, stdlib)
    return _NUM.sub("N", _ADDR.sub("0x", text))


def _qualified(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def kind(obj):
    if isinstance(obj, type):
        return "class"
    if not callable(obj):
        return "not callable"
    get = getattr(type(obj), "__get__", None)
    if get is None:
        return "routine that does not bind"
    holder = type("Holder", (), {"attr": obj})
    through = holder().attr
    if through is obj:
        return "routine that does not bind"
    if isinstance(through, types.MethodType):
        return "routine that binds"
    return f"routine that becomes {type(through).__name__} through an instance"


def outcome(fn, label):
    """'ok' or the exception type name; warnings raised are appended."""
    _watch(label)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn()
        except BaseException as e:  # noqa: BLE001 - the type is the fact
            text, result = type(e).__name__, None
        else:
            text = "ok"
    faulthandler.cancel_dump_traceback_later()
    if caught:
        text += " + " + ",".join(sorted({w.category.__name__ for w in caught}))
    return text, result


def signature(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None


def pickles(obj):
    try:
        data = pickle.dumps(obj)
    except Exception as e:  # noqa: BLE001
        return f"dumps: {type(e).__name__}"
    try:
        back = pickle.loads(data)
    except Exception as e:  # noqa: BLE001
        return f"loads: {type(e).__name__}"
    return "round trip: same object" if back is obj else f"round trip: a new {_kind_of_value(back)}"


def _kind_of_value(value):
    return "class" if isinstance(value, type) else "object"


def weakrefs(obj):
    try:
        weakref.ref(obj)
    except TypeError:
        return "no"
    return "yes"


def facts_for(module_name, name, world):
    module = importlib.import_module(module_name)
    obj = getattr(module, name)
    stdlib = before_names.get((module_name, name)) if world == "after" else None
    f = {}
    f["kind"] = kind(obj)
    f["callable"] = str(callable(obj))
    f["inspect"] = ",".join(p for p in ("isclass", "isfunction", "isroutine", "ismethoddescriptor")
                            if getattr(inspect, p)(obj))
    f["signature"] = signature(obj)
    own = _qualified(obj) if isinstance(obj, type) else None
    f["repr"] = shape(repr(obj), own, stdlib)
    f["names"] = f"{getattr(obj, '__module__', None)}.{getattr(obj, '__qualname__', None)}"
    f["pickle"] = pickles(obj)
    f["weakref"] = weakrefs(obj)
    if world == "after":
        original = patcher.get_original(module_name, name)
        f["subclass of the original"] = str(isinstance(obj, type) and isinstance(original, type)
                                            and obj is not original and issubclass(obj, original))
    if callable(obj):
        for label, (args, kwargs) in PROBES.items():
            if label in NO_PROBE.get((module_name, name), ()):
                continue
            text, result = outcome(lambda: obj(*args, **kwargs), f"{world} {module_name}.{name}{label}")
            f[f"call {label}"] = text
            if label == "()" and text.startswith("ok"):
                instance_facts(f, result, module_name, name, world)
            _release(result)
        holder = type("Holder", (), {"attr": obj})
        f["call () through an instance"], result = outcome(
            lambda: holder().attr(), f"{world} {module_name}.{name} through an instance")
        _release(result)
    if isinstance(obj, type):
        text, result = outcome(lambda: type("Sub", (obj,), {}), f"{world} subclass {module_name}.{name}")
        f["subclass"] = text
        if result is not None:
            f["subclass ()"], inst = outcome(lambda: result(), f"{world} {module_name}.{name} Sub()")
            _release(inst)
    return f


def instance_facts(f, value, module_name, name, world):
    """Facts about what a successful zero-argument call returned."""
    if isinstance(value, (int, str, float, bool, type(None))):
        f["() returns"] = type(value).__name__
        return
    if isinstance(value, tuple):
        f["() returns"] = f"tuple of {len(value)}"
        value = value[0] if value else None
        if value is None:
            return
    f["() repr"] = shape(repr(value), _qualified(value),
                         instance_types.get((module_name, name)) if world == "after" else None)
    f["() pickle"] = pickles(value)
    f["() weakref"] = weakrefs(value)
    f["() has __dict__"] = str(hasattr(value, "__dict__"))
    if world == "before":
        instance_types[(module_name, name)] = _qualified(value)
    # How it relates to every replaced class: isinstance and exact type.
    for (m, n), other in classes(world).items():
        if isinstance(value, other):
            f[f"() isinstance {m}.{n}"] = "True"
        if type(value) is other:
            f[f"() type is {m}.{n}"] = "True"


def classes(world):
    out = {}
    for module_name, name in ENTRIES:
        value = getattr(importlib.import_module(module_name), name)
        if isinstance(value, type):
            out[(module_name, name)] = value
    return out


def relations(world):
    """Identity and subclass relations between replaced names ({"a is b": "True"} ...)."""
    values = {f"{m}.{n}": getattr(importlib.import_module(m), n) for m, n in ENTRIES}
    out = {}
    keys = sorted(values)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            va, vb = values[a], values[b]
            if va is vb:
                out[f"{a} is {b}"] = "True"
            if isinstance(va, type) and isinstance(vb, type):
                if issubclass(va, vb):
                    out[f"{a} subclass of {b}"] = "True"
                if issubclass(vb, va):
                    out[f"{b} subclass of {a}"] = "True"
    return out


ENTRIES = entries()
before_names = {}
instance_types = {}


def main():
    out_path = sys.argv[1]
    result = {"entries": [f"{m}.{n}" for m, n in ENTRIES], "before": {}, "after": {}}
    for m, n in ENTRIES:
        obj = getattr(importlib.import_module(m), n)
        if isinstance(obj, type):
            before_names[(m, n)] = _qualified(obj)
        result["before"][f"{m}.{n}"] = facts_for(m, n, "before")
    result["before"]["relations"] = relations("before")
    import fasthub

    fasthub.monkey_patch()
    for m, n in ENTRIES:
        result["after"][f"{m}.{n}"] = facts_for(m, n, "after")
    result["after"]["relations"] = relations("after")
    result["patched"] = fasthub.patched()
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print("done")


if __name__ == "__main__":
    main()
