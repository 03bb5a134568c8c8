"""``eventlet.green.zmq`` is not provided: pyzmq signals readiness through an edge-triggered FD
plus its own event flags, and fasthub does not yet wrap pyzmq sockets so that every send/recv path
parks correctly. Importing it raises ImportError rather than handing out sockets that would block
the hub."""

raise ImportError(
    "eventlet.green.zmq is not available under fasthub's eventlet alias: pyzmq is not made green "
    "(its sockets would block every green thread). Run pyzmq calls in fasthub.tpool.execute(), or "
    "use zmq.asyncio outside the alias.")
