"""First on the chat servers' sys.path (tests/apps/test_socketio.py): ``import eventlet`` fails there as
if eventlet were not installed, even in a venv that has it for bench/, so the corpus always shows
Flask-SocketIO running on fasthub alone."""

raise ImportError("eventlet is hidden from this process by tests/apps/without_eventlet")
