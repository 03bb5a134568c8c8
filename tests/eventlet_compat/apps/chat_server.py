"""A line-based chat server written against eventlet's API: each line is sent to everyone else."""
import eventlet

participants = set()


def read_chat_forever(writer, reader):
    line = reader.readline()
    while line:
        for p in list(participants):
            if p is not writer:
                try:
                    p.write(line)
                    p.flush()
                except OSError:
                    participants.discard(p)
        line = reader.readline()
    participants.discard(writer)


server = eventlet.listen(("127.0.0.1", 0))
print("listening", server.getsockname()[1], flush=True)
while True:
    conn, addr = server.accept()
    writer = conn.makefile("w")
    participants.add(writer)
    eventlet.spawn_n(read_chat_forever, writer, conn.makefile("r"))
