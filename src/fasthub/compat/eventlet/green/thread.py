"""``eventlet.green.thread``: fasthub's green ``_thread``, plus eventlet's ``Lock`` name (its
green lock type)."""

from fasthub.green import _thread as _fasthub_thread

globals().update({k: v for k, v in vars(_fasthub_thread).items()
                  if not (k.startswith("__") and k.endswith("__"))})

Lock = _fasthub_thread.allocate_lock
