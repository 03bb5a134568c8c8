"""A WebSocket chat (eventlet.websocket under eventlet.wsgi): each message goes to every client."""
import eventlet
from eventlet import websocket, wsgi

participants = set()


@websocket.WebSocketWSGI
def handle(ws):
    participants.add(ws)
    try:
        while True:
            message = ws.wait()
            if message is None:
                break
            for p in list(participants):
                p.send(message)
    finally:
        participants.discard(ws)


def dispatch(environ, start_response):
    if environ["PATH_INFO"] == "/chat":
        return handle(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"websocket chat\n"]


sock = eventlet.listen(("127.0.0.1", 0))
print("listening", sock.getsockname()[1], flush=True)
wsgi.server(sock, dispatch, log_output=False)
