"""Green synchronisation on the hub: ``event`` (Event, AsyncResult), ``locks`` (Lock, RLock,
Semaphore, Condition), ``queue``, ``timeout``, ``pool`` (GreenPool, GreenPile) and ``tpool`` (the
OS-thread pool for blocking or CPU-heavy work). The public names are in ``fasthub``.
"""
