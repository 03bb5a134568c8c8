"""``eventlet.lock``: Lock, a green mutex that any green thread may release (fasthub's Lock)."""

from fasthub.sync.locks import Lock

__all__ = ["Lock"]
