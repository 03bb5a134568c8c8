# Imported BEFORE monkey_patch() by patch_late_warning.py: it captures originals at import time.
from socket import socket  # noqa: F401
from threading import Lock

MODULE_LOCK = Lock()
