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
- ``wsgi.server`` encodes str body chunks as ASCII, capitalizes response header names, holds a
  streamed body back until 4096 bytes are ready (so an early failure is still a 500), answers a
  Timeout escaping the application with a 500, logs eventlet's start/exit lines, serves HTTP/1.1
  requests without Host, and returns (after closing its socket) when KeyboardInterrupt or
  SystemExit is raised into it or its listening socket is closed.
- ``websocket.WebSocket`` is the hixie-75/76 draft connection and ``WebSocketWSGI`` serves draft
  clients too; ``RFC6455WebSocket`` is fasthub's WebSocket (it accepts eventlet's ``extensions``).
- ``monkey_patch()`` takes eventlet's keywords and patches eventlet's groups (not ``signal``);
  ``socket.socket`` becomes ``greenio.GreenSocket`` (a fasthub green socket that also has ``.fd``,
  wraps an existing socket, and reads EOF on a connection reset); inside a green thread started by
  ``spawn()``, ``threading.current_thread()`` is a ``_GreenThread`` wrapper.
- ``serve()`` closes each connection when its handler returns and re-raises a handler's exception
  in the serving green thread; ``listen()`` sets SO_REUSEPORT on a fixed port, with eventlet's
  warnings; ``wrap_ssl()`` behaves as the old ``ssl.wrap_socket()`` (no certificate check unless asked).
- ``Semaphore.release()`` never raises; ``BoundedSemaphore`` raises ValueError on over-release.
- ``greenthread.kill(gt)`` raises in the green thread and lets it run until it next waits, then
  returns (fasthub's ``kill()`` waits until it has finished).
- ``getcurrent()`` returns the running greenlet; ``spawn()`` returns a GreenThread whose ``link(fn,
  *args)`` calls ``fn(gt, *args)`` and whose ``wait()`` re-raises its exception.
- ``tpool`` reads EVENTLET_THREADPOOL_SIZE (0 runs calls in the caller with a warning).
- ``support.greendns`` is a green resolver on dnspython with eventlet's interface; patched programs
  keep fasthub's own resolver in ``socket``.

Known differences that remain (the alias cannot follow eventlet there):
- ``hubs.use_hub()`` and EVENTLET_HUB are accepted and ignored: fasthub has one compiled hub per
  OS thread (epoll/kqueue).
- ``hubs.get_hub().get_readers()/get_writers()`` list only listeners added through the alias'
  ``hub.add()``; waits inside fasthub's own sockets are not listed.
- ``debug.hub_blocking_detection(True, resolution)`` starts ``fasthub.monitor`` with action
  'raise': the blocking code gets BlockingTimeout (not RuntimeError) and the report names the call.
- Two green threads reading one fd always raise ConcurrentUseError
  (``hub_prevent_multiple_readers(False)`` is refused).
- ``wsgi.server(debug=True)`` never sends tracebacks to clients; request limits answer with
  fasthub's statuses (414/431) rather than eventlet's HTTP/1.0 400s.
- Locks created before ``monkey_patch()`` are reported (LatePatchWarning), not upgraded.
- ``backdoor`` listens on 127.0.0.1/::1 or a Unix socket only.
- ``green.zmq`` raises ImportError: pyzmq is not made green.
- ``__version__`` is the eventlet version whose API the alias follows, not fasthub's.

``make test-eventlet`` runs eventlet's own test suite against the alias and lists every test that
passes on eventlet but not here, with its reason, in tests/eventlet_compat/eventlet_expected_failures.py.
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
