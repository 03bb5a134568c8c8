"""eventlet's API on fasthub: what ``import eventlet`` gives once the alias is installed.

Opt in with ``python -m fasthub --eventlet app.py`` (or ``-m module``), or call
``fasthub.compat.eventlet.install()`` before anything imports eventlet. A ``sys.meta_path`` finder
then answers ``eventlet`` and ``eventlet.*`` with this package and fasthub's green modules, whether
or not the real eventlet is installed. No eventlet code is involved: each module maps eventlet's
public names onto fasthub's.

Modules: the top level (spawn, spawn_n, spawn_after, sleep, kill, getcurrent, Timeout,
with_timeout, GreenPool, GreenPile, Queue, Event, Semaphore, listen, connect, serve, StopServe,
wrap_ssl, monkey_patch, import_patched), greenthread, greenpool, queue, event, semaphore, lock,
timeout, hubs (and hubs.hub), green.* (socket, ssl, select, selectors, threading, thread, time, os,
subprocess, Queue, urllib, http, socketserver), greenio, patcher, tpool, wsgi, websocket,
backdoor, pools, db_pool, corolocal, convenience, debug.

Where eventlet and fasthub differ, the alias follows eventlet:
- ``queue.Queue(0)`` (and LightQueue(0)) is a rendezvous channel: put() waits for a getter.
  fasthub's own Queue(0) is unbounded, as the stdlib's.
- ``Event.wait(timeout)`` returns None when the timeout passes; ``send()`` twice and ``reset()`` of a
  fresh Event raise AssertionError (fasthub's AsyncResult raises RuntimeError / resets silently).
- ``wsgi.server`` encodes str body chunks as ASCII (non-ASCII text is an error, as in eventlet);
  fasthub.wsgi accepts only bytes.
- ``Semaphore.release()`` never raises; ``BoundedSemaphore`` raises ValueError on over-release.
- ``greenthread.kill(gt)`` raises in the green thread and lets it run until it next waits, then
  returns (fasthub's ``kill()`` waits until it has finished).
- ``getcurrent()`` returns the running greenlet; ``spawn()`` returns a GreenThread whose ``link(fn,
  *args)`` calls ``fn(gt, *args)`` and whose ``wait()`` re-raises its exception.

Known differences that remain (the alias cannot follow eventlet there):
- ``hubs.use_hub()`` is accepted and ignored: fasthub has one hub per OS thread (epoll/kqueue).
- ``hubs.get_hub().get_readers()/get_writers()`` list only listeners added through the alias'
  ``hub.add()``; waits inside fasthub's own sockets are not listed.
- ``debug.hub_blocking_detection(True, resolution)`` starts ``fasthub.monitor`` with action
  'raise'; it reports the blocking call with its stack rather than eventlet's SIGALRM traceback.
- ``backdoor`` listens on 127.0.0.1/::1 or a Unix socket only.
- ``green.zmq`` raises ImportError: pyzmq is not made green.
- ``__version__`` is the eventlet version whose API the alias follows, not fasthub's.
"""

import greenlet as _greenlet

from fasthub.compat.eventlet import _finder
from fasthub.compat.eventlet._finder import install, installed, uninstall
from fasthub.compat.eventlet import (convenience, event, greenpool, greenthread, patcher, queue,
                                     semaphore, timeout)

__version__ = "0.41.3"
version_info = (0, 41, 3)

connect = convenience.connect
listen = convenience.listen
serve = convenience.serve
StopServe = convenience.StopServe
wrap_ssl = convenience.wrap_ssl

Event = event.Event

GreenPool = greenpool.GreenPool
GreenPile = greenpool.GreenPile

sleep = greenthread.sleep
spawn = greenthread.spawn
spawn_n = greenthread.spawn_n
spawn_after = greenthread.spawn_after
kill = greenthread.kill

import_patched = patcher.import_patched
monkey_patch = patcher.monkey_patch

Queue = queue.Queue

Semaphore = semaphore.Semaphore
CappedSemaphore = semaphore.CappedSemaphore
BoundedSemaphore = semaphore.BoundedSemaphore

Timeout = timeout.Timeout
with_timeout = timeout.with_timeout
wrap_is_timeout = timeout.wrap_is_timeout
is_timeout = timeout.is_timeout

getcurrent = _greenlet.getcurrent

__getattr__ = _finder.submodule_getattr("eventlet")
