"""``eventlet.hubs.asyncio``: eventlet's asyncio-based hub has no counterpart in fasthub (its hub is
compiled around epoll/kqueue). ``Hub`` exists so that ``isinstance(get_hub(), Hub)`` checks in
eventlet code are simply False; instantiating it raises NotImplementedError."""

__all__ = ["Hub"]


class Hub:
    """Never the running hub under fasthub."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("fasthub's eventlet alias has no asyncio hub; fasthub runs its own "
                                  "compiled hub (hubs.use_hub() is accepted and ignored)")
