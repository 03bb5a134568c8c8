"""A WSGI application served by eventlet.wsgi (str bodies, as eventlet allows)."""
import eventlet
from eventlet import wsgi


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        eventlet.sleep(0.3)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["hello ", environ["PATH_INFO"], "\n"]   # str chunks: eventlet encodes them


sock = eventlet.listen(("127.0.0.1", 0))
print("listening", sock.getsockname()[1], flush=True)
wsgi.server(sock, app, log_output=False)
