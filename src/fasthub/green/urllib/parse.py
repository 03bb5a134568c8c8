"""``urllib.parse`` itself (it does no I/O): ``fasthub.green.urllib.parse`` exists so that code written
against eventlet's or fasthub's green package layout imports unchanged."""
import sys as _sys
from urllib import parse as _stock

_sys.modules[__name__] = _stock
