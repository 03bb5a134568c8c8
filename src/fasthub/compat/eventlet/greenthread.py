"""``eventlet.greenthread``: fasthub's green threads under eventlet's names.

``spawn`` returns fasthub's GreenThread, which already has eventlet's interface: ``wait()`` returns
the result or re-raises, ``link(fn, *args)`` calls ``fn(gt, *args)`` when it ends, ``kill()`` and
``cancel()``. ``getcurrent`` is greenlet's (the running greenlet, as in eventlet).
"""

import greenlet as _greenlet

import fasthub
from fasthub import GreenThread, sleep, spawn, spawn_after, spawn_n
from fasthub.sync.timeout import Timeout

__all__ = ["getcurrent", "sleep", "spawn", "spawn_n", "kill", "spawn_after", "spawn_after_local",
           "GreenThread"]

getcurrent = _greenlet.getcurrent


def spawn_after_local(seconds, func, *args, **kwargs):
    """Like spawn_after(); eventlet also cancels it if the calling green thread ends first, which
    fasthub does too: the start timer is dropped when nobody is left to run it."""
    me = getcurrent()
    gt = spawn_after(seconds, func, *args, **kwargs)
    if isinstance(me, _greenlet.greenlet) and me.parent is not None:
        task = fasthub.getcurrent()
        if isinstance(task, GreenThread):
            task.link(lambda _gt: gt.cancel())
    return gt


def call_after_global(seconds, func, *args, **kwargs):
    """Deprecated eventlet name for spawn_after()."""
    return spawn_after(seconds, func, *args, **kwargs)


call_after_local = spawn_after_local
call_after = spawn_after_local


def exc_after(seconds, *throw_args):
    """Deprecated eventlet name: raise ``throw_args`` in the calling green thread after ``seconds``;
    returns an object whose ``cancel()`` stops it (a started fasthub Timeout)."""
    if not throw_args:
        throw_args = (None,)
    return Timeout(seconds, exception_of(throw_args))


def exception_of(throw_args):
    """eventlet's ``*throw_args`` ((), (type,), (type, value) or (type, value, tb)) as one exception
    object fasthub can raise."""
    if not throw_args or throw_args[0] is None:
        return _greenlet.GreenletExit()
    typ = throw_args[0]
    value = throw_args[1] if len(throw_args) > 1 else None
    if isinstance(typ, BaseException):
        return typ
    if value is None:
        return typ()
    return value if isinstance(value, BaseException) else typ(value)


def kill(g, *throw_args):
    """Raise ``throw_args`` (default GreenletExit) in the green thread ``g``, let it run until it
    next waits (or ends), then return, as eventlet does; one that has not started never runs."""
    exc = exception_of(throw_args)
    if isinstance(g, GreenThread):
        if g.dead:
            return
        if g is fasthub.getcurrent():
            raise exc
        g.kill(exc, block=False)
        if not g.dead:
            fasthub.sleep(0)
        return
    fasthub.kill(g, exc)


def cancel(g, *throw_args):
    """Kill ``g`` only if it has not started running yet."""
    if isinstance(g, GreenThread):
        return g.cancel(*throw_args)
    if not getattr(g, "started", bool(g)):
        kill(g, *throw_args)
