"""Cooperative drop-in for the ``selectors`` module: every selector's select() parks only the calling
green thread.

The stdlib selectors are kept and only their kernel interface is swapped for the green one of
``fasthub.green.select`` (``_selector_cls`` for poll and epoll, ``_select`` for select, the kqueue
object for kqueue), so registration, keys and the results follow each CPython's own module.
``DefaultSelector`` is the green version of the stdlib's choice on this system.
"""

import selectors as _std

from fasthub.green import select as _gselect

for _name in dir(_std):
    if not (_name.startswith("__") and _name.endswith("__")):
        globals()[_name] = getattr(_std, _name)
del _name


class SelectSelector(_std.SelectSelector):
    """selectors.SelectSelector on fasthub.green.select.select()."""

    def _select(self, r, w, x, timeout=None):
        return _gselect.select(r, w, x, timeout)


if hasattr(_std, "PollSelector"):
    class PollSelector(_std.PollSelector):
        """selectors.PollSelector on fasthub.green.select.poll."""

        _selector_cls = _gselect.poll


if hasattr(_std, "EpollSelector"):
    class EpollSelector(_std.EpollSelector):
        """selectors.EpollSelector on fasthub.green.select.epoll."""

        _selector_cls = _gselect.epoll


if hasattr(_std, "KqueueSelector"):
    class KqueueSelector(_std.KqueueSelector):
        """selectors.KqueueSelector on fasthub.green.select.kqueue."""

        def __init__(self):
            super().__init__()
            # The stdlib made a plain kqueue; use a green one instead.
            self._selector.close()
            self._selector = _gselect.kqueue()


# The stdlib's own choice of the best selector for this system, green. (DevpollSelector, Solaris
# only, has no green version: PollSelector stands in for it.)
DefaultSelector = globals().get(_std.DefaultSelector.__name__, None) or PollSelector

__green__ = [n for n in ("SelectSelector", "PollSelector", "EpollSelector", "KqueueSelector",
                         "DefaultSelector") if n in globals()]
