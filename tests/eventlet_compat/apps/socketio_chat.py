"""A Flask-SocketIO chat: each 'chat' event is broadcast to everyone. Arguments: the port, then
optionally 'auto' to leave async_mode unset (Flask-SocketIO/engineio pick it; default "eventlet")."""
import sys

from flask import Flask
from flask_socketio import SocketIO, emit

app = Flask(__name__)
if sys.argv[2:] == ["auto"]:
    socketio = SocketIO(app)
else:
    socketio = SocketIO(app, async_mode="eventlet")


@socketio.on("chat")
def chat(message):
    emit("chat", {"from": message["name"], "text": message["text"]}, broadcast=True)


if __name__ == "__main__":
    print("mode", socketio.async_mode, flush=True)
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False)
