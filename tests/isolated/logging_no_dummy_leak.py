"""logging from green threads that threading did not start (fasthub.spawn) records their thread
name without leaving one dummy Thread per green thread in threading._active; logging imported
before patching gets green locks."""
import io
import logging

stream = io.StringIO()
logging.basicConfig(stream=stream, level=logging.INFO, format="%(threadName)s %(message)s")

import fasthub  # noqa: E402

fasthub.monkey_patch()
import threading  # noqa: E402

from fasthub.green import _thread as green_thread  # noqa: E402

assert isinstance(logging.getLogger().handlers[0].lock, green_thread.RLock)
log = logging.getLogger("x")


def handle(i):
    log.info("request %d", i)
    fasthub.sleep(0.001)


for _ in range(5):
    fasthub.joinall([fasthub.spawn(handle, i) for i in range(200)])
assert stream.getvalue().count("request") == 1000
assert len(threading._active) <= 2, len(threading._active)  # main (+ none left behind)
print("pass")
