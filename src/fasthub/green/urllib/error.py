"""``urllib.error`` itself (it does no I/O): ``fasthub.green.urllib.error`` exists so that code written
against eventlet's or fasthub's green package layout imports unchanged."""
import sys as _sys
from urllib import error as _stock

_sys.modules[__name__] = _stock
