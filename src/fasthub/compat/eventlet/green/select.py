"""``eventlet.green.select``: fasthub's green select module, plus eventlet's ``get_fileno``."""

from fasthub.green import select as _fasthub_select

globals().update({k: v for k, v in vars(_fasthub_select).items()
                  if not (k.startswith("__") and k.endswith("__"))})


def get_fileno(obj):
    """The fd of ``obj``: an int, or the int its ``fileno()`` returns (TypeError otherwise)."""
    if isinstance(obj, int):
        return obj
    try:
        fileno = obj.fileno
    except AttributeError:
        raise TypeError(f"Expected int or long, got {type(obj)}") from None
    fd = fileno()
    if not isinstance(fd, int):
        raise TypeError(f"Expected int or long, got {type(fd)}")
    return fd
