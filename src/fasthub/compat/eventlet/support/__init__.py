"""``eventlet.support``: the small helpers eventlet code imports from here (get_errno,
bytes_to_str, greenlets)."""

__all__ = ["get_errno", "bytes_to_str", "clear_sys_exc_info", "wrap_deprecated"]


def get_errno(exc):
    """The errno of an exception (``exc.errno``, or its first argument), or None."""
    errno = getattr(exc, "errno", None)
    if errno is not None:
        return errno
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def bytes_to_str(b, encoding="ascii"):
    """``b`` decoded (``encoding``, default ASCII) if it is bytes, else ``b``."""
    return b.decode(encoding) if isinstance(b, bytes) else b


def clear_sys_exc_info():
    """No-op on Python 3 (exception state is per frame)."""


def wrap_deprecated(old, new):
    """A decorator that warns ``old`` is deprecated in favour of ``new`` when the function is called."""
    import functools
    import warnings

    def wrapper(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            warnings.warn(f"{old} is deprecated and will be removed; use {new} instead",
                          DeprecationWarning, stacklevel=2)
            return fn(*args, **kwargs)
        return call
    return wrapper
