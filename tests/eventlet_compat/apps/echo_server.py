"""An echo server written against eventlet's API: one green thread per connection."""
import sys

import eventlet


def handle(fd):
    while True:
        line = fd.readline()
        if not line or line.strip() == "quit":
            break
        fd.write(line)
        fd.flush()


server = eventlet.listen(("127.0.0.1", 0))
print("listening", server.getsockname()[1], flush=True)
pool = eventlet.GreenPool(1000)
served = 0
limit = int(sys.argv[1]) if len(sys.argv) > 1 else None
while limit is None or served < limit:
    sock, address = server.accept()
    pool.spawn_n(handle, sock.makefile("rw"))
    served += 1
pool.waitall()
print("done", served, flush=True)
