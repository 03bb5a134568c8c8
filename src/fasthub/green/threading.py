"""Green ``threading``: CPython's own ``threading`` module, executed once more on fasthub's green
``_thread`` (``fasthub.green._thread``).

``Thread`` runs as a green thread; ``Lock``, ``RLock``, ``Condition``, ``Event``, ``Semaphore``,
``BoundedSemaphore``, ``Barrier`` and ``Timer`` park green threads; ``local`` is green-local;
``get_ident``, ``current_thread``, ``main_thread``, ``enumerate`` and ``active_count`` see green threads.
Because it is the interpreter's own code for the running version (3.10 to 3.13), every behaviour and
error message is CPython's. Importing this module patches nothing: it is what
``fasthub.import_patched()`` gives modules that ``import threading``. ``monkey_patch(thread=True)``
makes the real ``threading`` module green instead (same primitives, same behaviour).

The copy is not ``sys.modules['threading']``: its ``Thread`` class is not the stdlib's. Its
non-daemon threads are joined at interpreter exit, like the stdlib's.
"""

import sys as _sys

from fasthub.core import originals as _originals
from fasthub.green import _thread as _green_thread

_copy = _originals.fresh_copy("threading", {"_thread": _green_thread})
_copy.current_thread = _green_thread.current_thread_for(_copy)
_copy.__doc__ = __doc__
_originals.after_copy(_copy, "threading")

# This module becomes the copy itself, so its functions and its globals are one namespace.
_sys.modules[__name__] = _copy
