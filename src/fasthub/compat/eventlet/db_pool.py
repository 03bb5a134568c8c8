"""``eventlet.db_pool``: pools of DB-API connections (ConnectionPool = TpooledConnectionPool,
RawConnectionPool), their wrappers, DatabaseConnector and ConnectTimeout.

Connections idle longer than ``max_idle`` or older than ``max_age`` seconds are closed when they
come back or are next handed out; a connect that takes longer than ``connect_timeout`` raises
ConnectTimeout. ``TpooledConnectionPool`` runs the driver in fasthub's OS-thread pool (for C
drivers that block); ``RawConnectionPool`` calls it directly (for green drivers).
"""

import contextlib
import time

from fasthub.compat.eventlet import tpool
from fasthub.compat.eventlet.pools import Pool
from fasthub.sync.timeout import Timeout

__all__ = ["ConnectionPool", "TpooledConnectionPool", "RawConnectionPool", "ConnectTimeout",
           "DatabaseConnector", "GenericConnectionWrapper", "PooledConnectionWrapper",
           "cleanup_rollback"]


class ConnectTimeout(Exception):
    """Connecting to the database took longer than ``connect_timeout``."""


def cleanup_rollback(conn):
    """The default cleanup when a connection is returned: roll back what was left open."""
    conn.rollback()


class BaseConnectionPool(Pool):
    """Common logic; subclasses define ``connect(db_module, timeout, *args, **kwargs)``."""

    def __init__(self, db_module, min_size=0, max_size=4, max_idle=10, max_age=30,
                 connect_timeout=5, cleanup=cleanup_rollback, *args, **kwargs):
        if db_module is None:
            raise TypeError("db_pool: a DB-API module (e.g. psycopg2) is required")
        self._db_module = db_module
        self._args = args
        self._kwargs = kwargs
        self.max_idle = max_idle
        self.max_age = max_age
        self.connect_timeout = connect_timeout
        self.cleanup = cleanup
        super().__init__(min_size=min_size, max_size=max_size, order_as_stack=True)

    def _expired(self, now, last_used, created_at):
        return (self.max_idle <= 0 or self.max_age <= 0 or now - last_used > self.max_idle
                or now - created_at > self.max_age)

    def _safe_close(self, conn, quiet=False):
        try:
            conn.close()
        except Exception:
            if not quiet:
                raise

    def create(self):
        """A new (created_at, last_used, connection) triple."""
        now = time.time()
        return now, now, self.connect(self._db_module, self.connect_timeout, *self._args,
                                      **self._kwargs)

    def get(self):
        """A PooledConnectionWrapper; put it back with ``put()`` or ``close()`` it."""
        while True:
            created_at, last_used, conn = Pool.get(self)
            if conn is not None and self._expired(time.time(), last_used, created_at):
                self._safe_close(conn, quiet=True)
                self.current_size -= 1
                continue
            break
        if conn is None:  # a slot freed by a discarded connection
            try:
                created_at, _, conn = self.create()
            except BaseException:
                self.current_size -= 1
                raise
        wrapped = PooledConnectionWrapper(conn, self)
        wrapped._db_pool_created_at = created_at
        return wrapped

    def put(self, conn, cleanup=None):
        """Return a connection (cleaned with ``cleanup``, default the pool's)."""
        created_at = getattr(conn, "_db_pool_created_at", 0)
        now = time.time()
        raw = conn._base if isinstance(conn, GenericConnectionWrapper) else conn
        if isinstance(conn, PooledConnectionWrapper):
            conn._destroy()
        cleanup = cleanup or self.cleanup
        if raw is not None and self._expired(now, now, created_at):
            self._safe_close(raw, quiet=True)
            raw = None
        elif raw is not None and cleanup is not None:
            try:
                cleanup(raw)
            except Exception:
                self._safe_close(raw, quiet=True)
                raw = None
        if raw is None:
            if self.waiting():
                Pool.put(self, (now, now, None))  # the waiter connects itself
            else:
                self.current_size -= 1
            return
        Pool.put(self, (created_at, now, raw))

    @contextlib.contextmanager
    def item(self, cleanup=None):
        """``with pool.item() as conn:`` gets a connection and puts it back (cleaned with
        ``cleanup``, default the pool's) afterwards."""
        conn = self.get()
        try:
            yield conn
        finally:
            self.put(conn, cleanup=cleanup)

    def clear(self):
        """Close every free connection."""
        while self.free_items:
            _, _, conn = self.free_items.popleft()
            self._safe_close(conn, quiet=True)
            self.current_size -= 1

    def __del__(self):
        try:
            self.clear()
        except Exception:
            pass


class TpooledConnectionPool(BaseConnectionPool):
    """Connections made and used through fasthub.tpool (each call runs in an OS thread)."""

    @classmethod
    def connect(cls, db_module, connect_timeout, *args, **kw):
        with Timeout(connect_timeout, ConnectTimeout()):
            return tpool.Proxy(tpool.execute(db_module.connect, *args, **kw))


class RawConnectionPool(BaseConnectionPool):
    """Connections made and used directly (the driver must be green)."""

    @classmethod
    def connect(cls, db_module, connect_timeout, *args, **kw):
        with Timeout(connect_timeout, ConnectTimeout()):
            return db_module.connect(*args, **kw)


ConnectionPool = TpooledConnectionPool


class GenericConnectionWrapper:
    """Forwards the DB-API connection methods to the wrapped connection."""

    def __init__(self, baseconn):
        self._base = baseconn

    def __enter__(self):
        return self._base.__enter__()

    def __exit__(self, exc, value, tb):
        return self._base.__exit__(exc, value, tb)

    def __repr__(self):
        return repr(self._base)

    def __getattr__(self, name):
        if name == "_base":
            raise AttributeError(name)
        return getattr(self._base, name)


class PooledConnectionWrapper(GenericConnectionWrapper):
    """A pooled connection: ``close()`` returns it to its pool instead of closing it."""

    def __init__(self, baseconn, pool):
        super().__init__(baseconn)
        self._pool = pool

    def __bool__(self):
        return self._base is not None and bool(self._base)

    def _destroy(self):
        self._pool = None
        self._base = None

    def close(self):
        """Return the connection to the pool (closing it for real is the pool's business)."""
        if self._base is not None and self._pool is not None:
            self._pool.put(self)
        self._destroy()

    def __del__(self):
        return  # eventlet does not return a forgotten connection either


class DatabaseConnector:
    """One pool per database name on a server: ``get(host, dbname)`` (eventlet's helper)."""

    def __init__(self, module, credentials, conn_pool=None, *args, **kwargs):
        if not credentials:
            raise TypeError("DatabaseConnector: credentials ({host: {'user':..., 'passwd':...}}) "
                            "are required")
        self._module = module
        self._args = args
        self._kwargs = kwargs
        self._credentials = credentials
        self._conn_pool_class = conn_pool or ConnectionPool
        self._databases = {}

    def credentials_for(self, host):
        return self._credentials.get(host, self._credentials.get("default"))

    def get(self, host, dbname):
        """The pool for ``dbname`` on ``host`` (made on first use)."""
        key = (host, dbname)
        if key not in self._databases:
            new_kwargs = dict(self._kwargs)
            new_kwargs["db"] = dbname
            new_kwargs["host"] = host
            new_kwargs.update(self.credentials_for(host))
            self._databases[key] = self._conn_pool_class(self._module, *self._args, **new_kwargs)
        return self._databases[key]
