"""Fetch URLs concurrently with a GreenPool and eventlet's green urllib (eventlet's crawler)."""
import sys
import time

import eventlet
from eventlet.green.urllib.request import urlopen


def fetch(url):
    with urlopen(url, timeout=10) as response:
        return url, response.read()


pool = eventlet.GreenPool(200)
start = time.monotonic()
for url, body in pool.imap(fetch, sys.argv[1:]):
    print(url, len(body), body.decode()[:40], flush=True)
print(f"elapsed {time.monotonic() - start:.3f}", flush=True)
