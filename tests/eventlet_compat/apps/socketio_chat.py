"""A Flask-SocketIO chat with async_mode="eventlet": each 'chat' event is broadcast to everyone."""
import sys

from flask import Flask
from flask_socketio import SocketIO, emit

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet")


@socketio.on("chat")
def chat(message):
    emit("chat", {"from": message["name"], "text": message["text"]}, broadcast=True)


if __name__ == "__main__":
    print("mode", socketio.async_mode, flush=True)
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False)
