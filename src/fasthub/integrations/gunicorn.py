"""A gunicorn worker running fasthub's WSGI server: ``gunicorn -k fasthub.gunicorn.Worker app:app``.

Each worker process monkey-patches itself (before the application is imported, unless you use
``--preload``), then serves every listening socket with ``fasthub.wsgi.WSGIServer``: one green thread
per connection, so a worker holds thousands of slow or idle clients. gunicorn's settings map as
follows:

- ``--worker-connections N``: at most N connections per worker at once; the worker stops accepting
  while full (the kernel's backlog, then other workers, take the rest).
- ``--keep-alive S``: idle keep-alive connections are closed after S seconds (0: no keep-alive).
- ``--graceful-timeout S``: on SIGTERM (or ``--max-requests`` reached, or the arbiter going away) the
  worker stops accepting, closes idle connections, lets requests in flight finish for up to S
  seconds, then cancels the rest and exits. SIGQUIT/SIGINT exit at once, as with every gunicorn worker.
- ``--timeout S``: the worker tells the arbiter it is alive about every second from its main green
  thread; if application code blocks the hub (CPU-bound work, a C call that does not cooperate) for
  S seconds, the arbiter kills and replaces the worker, as it does for gevent/eventlet workers.
- ``--limit-request-line`` / ``--limit-request-fields``: passed to the server (414 / 431).
- ``--access-logfile``: fasthub's access log lines (eventlet's format) go to gunicorn's access logger.
- ``--certfile``/``--keyfile``: TLS through gunicorn's ``ssl_context`` hook.
- ``environ['gunicorn.socket']`` is the connection's green socket with blocking semantics (timeout
  None), as gunicorn's own workers hand it out; an app that takes the connection over (simple-websocket,
  engineio) raises StopIteration when done and the connection is closed quietly.

Where it fits: use this when you already deploy with gunicorn (its arbiter, reloads, hooks, logging).
Without gunicorn, ``python -m fasthub.wsgi --workers N app:app`` runs N processes on one port with
SO_REUSEPORT and is the lighter choice.
"""

import os
import sys
import warnings

from gunicorn.workers.base import Worker as _BaseWorker

__all__ = ["Worker"]


class Worker(_BaseWorker):
    """gunicorn worker class serving the app with fasthub.wsgi (see the module docstring)."""

    #: Seconds between two "I am alive" notifications to the arbiter (at most; less if --timeout is
    #: very short).
    notify_interval = 1.0

    def init_process(self):
        from fasthub.patcher import LatePatchWarning, monkey_patch

        # gunicorn itself imported socket/threading before this worker forked: those captures are
        # gunicorn's arbiter machinery, not the application. Report them in the log, not as warnings.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LatePatchWarning)
            monkey_patch()
        for w in caught:
            if issubclass(w.category, LatePatchWarning):
                self.log.debug("fasthub: %s", w.message)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.log.info("fasthub: monkey_patch() applied in worker %s (green stdlib)", os.getpid())
        from fasthub.sync.event import Event
        self._wakeup = Event()
        super().init_process()   # loads the app, then calls run()

    # -- signals: wake the main loop at once instead of at its next tick ----------------------------

    def handle_exit(self, sig, frame):
        self.alive = False
        self._wakeup.set()

    def _stop_soon(self):
        self.alive = False
        self._wakeup.set()

    # -- serving ------------------------------------------------------------------------------------

    def _counting(self, app):
        # --max-requests: finish this request, then restart the worker gracefully.
        def counted(environ, start_response):
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:
                self.log.info("Autorestarting worker after current request.")
                self._stop_soon()
            return app(environ, start_response)
        return counted

    def _make_servers(self):
        from fasthub import __version__ as fasthub_version
        from fasthub.web.wsgi import MAX_HEADERS, MAX_REQUEST_LINE, WSGIServer
        import gunicorn

        cfg = self.cfg
        ssl_context = None
        if cfg.is_ssl:
            from gunicorn.sock import ssl_context as make_ssl_context
            ssl_context = make_ssl_context(cfg)
        app = self.wsgi if self.max_requests >= sys.maxsize else self._counting(self.wsgi)
        environ = {
            "SERVER_SOFTWARE": f"gunicorn/{gunicorn.__version__} fasthub/{fasthub_version}",
            "wsgi.multiprocess": cfg.workers > 1,
        }
        servers = []
        for listener in self.sockets:
            raw = getattr(listener, "sock", listener)   # gunicorn wraps the socket object
            server = WSGIServer(
                raw, app,
                log=self.log.access_log if cfg.accesslog else None,
                error_log=self.log.error_log,
                environ=environ,
                pool=cfg.worker_connections,
                ssl_context=ssl_context,
                keepalive=cfg.keepalive if cfg.keepalive > 0 else False,
                url_length_limit=cfg.limit_request_line or MAX_REQUEST_LINE,
                max_headers=cfg.limit_request_fields or MAX_HEADERS,
                socket_environ_key="gunicorn.socket",
            )
            server.start()
            servers.append(server)
        return servers

    def run(self):
        from fasthub.core._greenthread import joinall, spawn

        servers = self._make_servers()
        interval = min(self.notify_interval, self.timeout) if self.timeout else self.notify_interval
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            self._wakeup.wait(interval)
        # Graceful stop: no new connections; requests in flight get graceful_timeout (a little less,
        # so we finish before the arbiter's SIGKILL) to complete, then the rest are cancelled.
        for server in servers:
            server.close()
        grace = max(0.0, self.cfg.graceful_timeout * 0.9)
        stoppers = [spawn(server.stop, grace) for server in servers]
        while not all(s.dead for s in stoppers):
            self.notify()
            joinall(stoppers, timeout=interval)
