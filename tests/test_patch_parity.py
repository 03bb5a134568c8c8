"""Every name monkey_patch() replaces behaves like the stdlib original wherever user code can tell.

One fresh interpreter (_patch_parity_child.py) records facts about each (module, name) of the patch
table, first about the stdlib object, then, after monkey_patch(), about the green one: what kind of
callable it is and what it becomes as a class attribute read through an instance (werkzeug's
``lock_class = threading.Lock``), its signature, the exceptions that calls with bad arguments raise,
the shape of its repr, pickling and weak references of it and of what it returns, whether it can be
subclassed, and its identity/isinstance/issubclass relations with the other replaced names. Each
name is one test here; a difference fails it unless UNMATCHABLE gives the reason it cannot be
matched. The list of names comes from fasthub.patcher's own table.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.one_backend  # the child patches with the default hub; nothing here waits

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_patch_parity_child.py")


def _load_child():
    # The child's own list of names (from the patch table) is the one these tests expect.
    spec = importlib.util.spec_from_file_location("_patch_parity_child", CHILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENTRIES = [f"{m}.{n}" for m, n in _load_child().ENTRIES]

_BUILTIN_LIKE = ("a Python function cannot be a builtin_function_or_method: the replacement is a "
                 "staticmethod object that stays unbound through an instance, so inspect sees a "
                 "method descriptor")

# (entry or "*", fact) -> why that difference cannot be removed.
UNMATCHABLE = {
    ("queue.SimpleQueue", "names"):
        "named queue.SimpleQueue, where it is patched, not _queue.SimpleQueue (the C module is not "
        "patched), so that pickling the class finds it",
    ("signal.set_wakeup_fd", "names"):
        "named signal.set_wakeup_fd, where it is patched, not _signal.set_wakeup_fd: CPython's "
        "test_signal (GenericTests.test_functions_module_attr) requires a routine of signal that is "
        "not a builtin to say 'signal', and the replacement cannot be a builtin (" + _BUILTIN_LIKE + ")",
}


def _unmatchable(entry, fact, before, after):
    reason = UNMATCHABLE.get((entry, fact))
    if reason:
        return reason
    if (fact == "inspect" and before.get("inspect") == "isroutine"
            and after.get("inspect") == "isroutine,ismethoddescriptor"
            and before.get("kind") == after.get("kind") == "routine that does not bind"):
        return _BUILTIN_LIKE
    return None


_POSITIONAL_ONLY = re.compile(r"^\((.*?), /")


def _same_signature(before, after):
    # Positional-only parameters are passed by position: their names are not part of the API
    # (3.13's time.sleep reads "(object, /)").
    def neutral(sig):
        m = _POSITIONAL_ONLY.match(sig)
        if not m:
            return sig
        count = len(m.group(1).split(", "))
        return "(" + ", ".join(f"p{i}" for i in range(count)) + sig[m.end(1):]
    return neutral(before) == neutral(after)


def compare(entry, before, after):
    """The differences (strings) between the stdlib's facts and the green one's."""
    problems = []
    for fact in sorted(set(before) | set(after)):
        if fact == "subclass of the original":
            continue
        b, a = before.get(fact), after.get(fact)
        if b == a:
            continue
        if fact == "names" and after.get("subclass of the original") == "True":
            continue  # a subclass of the original keeps its own name
        if fact == "signature" and (b is None or (a is not None and _same_signature(b, a))):
            continue  # compared only where inspect can read the original's
        if _unmatchable(entry, fact, before, after):
            continue
        problems.append(f"{fact}: stdlib {b!r}, green {a!r}")
    return problems


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    out = tmp_path_factory.mktemp("parity") / "facts.json"
    proc = subprocess.run([sys.executable, CHILD, str(out)], capture_output=True, text=True,
                          timeout=110, env=dict(os.environ, PYTHONWARNINGS=""))
    assert proc.returncode == 0 and proc.stdout.strip().endswith("done"), (
        f"the parity child failed (status {proc.returncode}); its last probe and stacks:\n"
        f"{proc.stderr[-6000:]}")
    with open(out) as f:
        return json.load(f)


def test_every_name_monkey_patch_replaced_is_compared(facts):
    # The table's names on this version are exactly what monkey_patch() replaced in those modules.
    assert facts["entries"] == ENTRIES
    replaced = sorted(f"{m}.{n}" for m, names in facts["patched"].items() for n in names
                      if any(e.startswith(m + ".") for e in ENTRIES))
    assert replaced == ENTRIES


@pytest.mark.parametrize("entry", ENTRIES)
def test_green_name_behaves_like_the_original(facts, entry):
    problems = compare(entry, facts["before"][entry], facts["after"][entry])
    assert not problems, f"{entry} after monkey_patch() differs from the stdlib's:\n  " + \
        "\n  ".join(problems)


def test_relations_between_replaced_names(facts):
    # Identity (threading.Lock is _thread.allocate_lock before 3.13), subclassing (LifoQueue is a
    # Queue): what holds between stdlib names must hold between the green ones.
    before, after = facts["before"]["relations"], facts["after"]["relations"]
    missing = sorted(set(before) - set(after))
    extra = sorted(set(after) - set(before))
    assert not missing and not extra, f"lost: {missing}; new: {extra}"


def test_unmatchable_entries_still_differ(facts):
    # The list only shrinks: a listed difference that is gone must be removed from it.
    for entry, fact in UNMATCHABLE:
        assert entry in ENTRIES, entry
        assert facts["before"][entry].get(fact) != facts["after"][entry].get(fact), (entry, fact)


def test_compare_reports_a_difference():
    # The comparison itself can fail: a binding function against a builtin, a changed signature.
    before = {"kind": "routine that does not bind", "signature": "(fd, length, /)"}
    after = {"kind": "routine that binds", "signature": "(fd, n)"}
    assert len(compare("os.read", before, after)) == 2
    assert compare("os.read", before, {**before, "signature": "(a, b, /)"}) == []
