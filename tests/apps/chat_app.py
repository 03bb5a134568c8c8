"""A Flask-SocketIO broadcast chat for the corpus: every "chat" event is sent to every client.

What an eventlet user changes: ``async_mode="threading"`` instead of ``"eventlet"``. Under
fasthub's monkey_patch, threading is green, so Flask-SocketIO's background threads are green
threads, and simple-websocket (the threading mode's WebSocket transport) takes the connection's
socket from ``environ['eventlet.input'].get_socket()`` (fasthub.wsgi) or
``environ['gunicorn.socket']`` (fasthub's gunicorn worker). eventlet itself is not needed.

With several worker processes, ``SOCKETIO_MESSAGE_QUEUE`` (a Redis URL) carries broadcasts between
them; long-polling additionally needs sticky sessions, so it is served by one process.
"""

import os

import flask
from flask_socketio import SocketIO, emit

app = flask.Flask(__name__)
socketio = SocketIO(app, async_mode="threading",
                    message_queue=os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None,
                    channel=os.environ.get("SOCKETIO_CHANNEL", "flask-socketio"))


@app.get("/")
def index():
    try:
        import eventlet   # noqa: F401
        eventlet_importable = True
    except ImportError:
        eventlet_importable = False
    return {"async_mode": socketio.async_mode, "eventlet_importable": eventlet_importable}


@socketio.on("connect")
def connect():
    emit("welcome", {"pid": os.getpid()})   # which worker process holds this client


@socketio.on("chat")
def chat(message):
    emit("chat", message, broadcast=True)


@socketio.on("hello")
def hello(message):
    emit("hello", message, broadcast=True)
