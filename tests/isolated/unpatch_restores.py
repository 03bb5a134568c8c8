"""unpatch() puts back every attribute monkey_patch() replaced (and removes those it added), undoes
the groups' hooks (logging's locks, the SIGINT route, psycopg's waits and the import hook), warns
about a module that captured a green name while patched, and leaves a process that can be patched
again. Real OS threads run in parallel again afterwards."""
import _thread
import importlib
import logging
import os
import signal
import sys
import threading
import time
import warnings

warnings.simplefilter("error")  # any warning fails this script, unless caught below

import fasthub  # noqa: E402
from fasthub import patcher  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def snapshot():
    """Every attribute named in the patch table, as the modules have it now (absent: a marker)."""
    state = {}
    for group in patcher._TABLE.values():
        for module_name, entries in group.items():
            module = importlib.import_module(module_name)
            for attr in entries:
                state[(module_name, attr)] = vars(module).get(attr, "<absent>")
    return state


BEFORE = snapshot()
# In a dict: a module global holding an original would be reported by monkey_patch() as "late".
REAL = {"lock": type(threading.Lock()), "logging lock": type(logging._lock)}
handler = logging.StreamHandler(sys.stderr)
logging.getLogger("unpatch-test").addHandler(handler)
meta_path = list(sys.meta_path)
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

assert patcher.unpatch() == {}  # nothing patched: harmless

for round_ in range(2):  # patching again after unpatch() works, and so does a second unpatch()
    fasthub.monkey_patch()
    if round_ == 0:
        # psycopg2 and psycopg are patched when first imported (an import hook), and then unpatched;
        # in the second round they are already imported and patched at once.
        assert any(type(f).__name__ == "_PatchOnImport" for f in sys.meta_path), sys.meta_path
        import psycopg
        import psycopg2.extensions
    changed = [k for k, v in snapshot().items() if v is not BEFORE[k]]
    assert ("socket", "socket") in changed and ("time", "sleep") in changed, changed
    assert type(threading.Lock()) is not REAL["lock"]
    assert type(logging._lock) is not REAL["logging lock"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler   # as the user sees it
    assert patcher.get_original("signal", "getsignal")(signal.SIGINT) is not signal.default_int_handler  # dispatcher
    assert psycopg2.extensions.get_wait_callback() is not None
    assert psycopg.waiting.wait is not None and "fasthub" in psycopg.waiting.wait.__module__
    was = fasthub.patched()

    # A module imported while patched captures a green name: unpatch() names it.
    sys.modules.pop("_late_helper", None)
    sys.path.insert(0, HERE)
    try:
        import _late_helper  # noqa: F401  (runs `from socket import socket`)
    finally:
        sys.path.remove(HERE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = patcher.unpatch()
    assert restored == was, (restored, was)
    messages = [str(w.message) for w in caught if issubclass(w.category, patcher.UnpatchWarning)]
    assert len(messages) == 1 and "'_late_helper'" in messages[0] and "socket.socket" in messages[0], \
        [str(w.message) for w in caught]

    after = snapshot()
    different = {k: (BEFORE[k], after[k]) for k in BEFORE if after[k] is not BEFORE[k]}
    assert different == {}, different
    assert fasthub.patched() == {}
    for name in ("socket", "thread", "threading", "time", "os", "signal", "queue"):
        assert not patcher.is_monkey_patched(name), name
    assert type(threading.Lock()) is REAL["lock"]
    assert type(logging._lock) is REAL["logging lock"]
    assert type(handler.lock) is REAL["logging lock"]
    assert patcher.get_original("signal", "getsignal")(signal.SIGINT) is signal.default_int_handler
    assert psycopg2.extensions.get_wait_callback() is None
    assert "fasthub" not in psycopg.waiting.wait.__module__, psycopg.waiting.wait
    assert sys.meta_path == meta_path, sys.meta_path
    assert patcher.get_original("time", "sleep") is time.sleep

# Real OS threads again: two threads each sleeping 0.3 s with the real time.sleep overlap, and each
# has its own OS thread ident.
idents = []


def worker():
    idents.append(_thread.get_ident())
    time.sleep(0.3)


start = time.monotonic()
threads = [threading.Thread(target=worker) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - start
assert len(set(idents)) == 2 and _thread.get_ident() not in idents, idents
assert 0.3 <= elapsed < 0.55, elapsed
print("pass")
