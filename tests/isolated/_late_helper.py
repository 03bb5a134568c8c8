# Imported BEFORE monkey_patch() by patch_late_warning.py: it captures originals at import time.
import threading
from socket import socket  # noqa: F401
from threading import Lock

MODULE_LOCK = Lock()


class Server:
    lock_class = threading.Lock  # werkzeug's habit: a class attribute keeps the original
