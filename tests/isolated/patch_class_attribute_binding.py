"""Patched names stored as class attributes behave like the builtins they replace: they do not bind
``self``. werkzeug keeps ``lock_class = threading.Lock`` and calls ``self.lock_class()``; a green
replacement written as a plain function received the instance (TypeError: allocate_lock() takes 0
positional arguments but 1 was given), so no Flask app started under monkey_patch() on 3.10-3.12."""
import fasthub

fasthub.monkey_patch()

import _thread  # noqa: E402
import threading  # noqa: E402


class Holder:
    lock_class = threading.Lock
    allocate = _thread.allocate_lock
    allocate_alias = _thread.allocate
    ident = threading.get_ident
    thread_ident = _thread.get_ident


h = Holder()
for make in (h.lock_class, h.allocate, h.allocate_alias):
    lock = make()
    assert lock.acquire(False) and lock.locked()
    assert not lock.acquire(False)
    lock.release()
assert h.ident() == h.thread_ident() == threading.get_ident() == _thread.get_ident()

idents = []
fasthub.joinall([fasthub.spawn(lambda: idents.append(h.ident())) for _ in range(2)])
assert len(set(idents)) == 2 and threading.get_ident() not in idents, idents
print("pass")
