"""``eventlet.asyncio``: eventlet's bridge to its asyncio hub. fasthub has no asyncio hub yet, so
``spawn_for_awaitable`` raises NotImplementedError that says so."""

__all__ = ["spawn_for_awaitable"]


def spawn_for_awaitable(coroutine):
    """Not available: fasthub's eventlet alias has no asyncio hub."""
    if hasattr(coroutine, "close"):
        coroutine.close()
    raise NotImplementedError("eventlet.asyncio.spawn_for_awaitable needs eventlet's asyncio hub, "
                              "which fasthub's eventlet alias does not provide")
