"""``eventlet.backdoor``: an interactive Python console served over a socket, for debugging a
running program. Only on the loopback interface or a Unix socket: ``backdoor(('127.0.0.1', port))``
or ``backdoor('/path/to/socket')``; any other address raises ValueError (anyone who reaches the
port can run code in the process).

Each connection gets its own console (``code.InteractiveConsole``) in a green thread; the output
of the statements it runs goes to that connection.
"""

import code
import contextlib
import io
import ipaddress
import socket as _stdsocket
import sys

import fasthub
from fasthub.green import socket as _gsocket

__all__ = ["backdoor_server", "backdoor", "SocketConsole"]


class _Out(io.TextIOBase):
    # What the console writes, sent to its connection.

    def __init__(self, conn):
        self.conn = conn

    def write(self, text):
        self.conn.sendall(text.replace("\n", "\r\n").encode("utf-8", "replace"))
        return len(text)

    def writable(self):
        return True


class SocketConsole(code.InteractiveConsole):
    """One console session on the connection ``conn``."""

    def __init__(self, conn, locals=None, hostport=None):
        code.InteractiveConsole.__init__(self, locals)
        self.conn = conn
        self.hostport = hostport
        self.out = _Out(conn)
        self.reader = conn.makefile("r", encoding="utf-8", errors="replace", newline=None)

    def write(self, data):
        self.out.write(data)

    def raw_input(self, prompt=""):
        self.write(prompt)
        line = self.reader.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")

    def runcode(self, codeobj):
        with contextlib.redirect_stdout(self.out), contextlib.redirect_stderr(self.out):
            code.InteractiveConsole.runcode(self, codeobj)

    def showtraceback(self):
        with contextlib.redirect_stderr(self.out):
            code.InteractiveConsole.showtraceback(self)

    def showsyntaxerror(self, filename=None, **kwargs):
        with contextlib.redirect_stderr(self.out):
            code.InteractiveConsole.showsyntaxerror(self, filename, **kwargs)

    def serve(self):
        """Run the console until the client sends EOF (or exit())."""
        banner = (f"Python {sys.version} on {sys.platform}\n"
                  'Type "help", "copyright", "credits" or "license" for more information.\n'
                  "(InteractiveConsole)")
        try:
            self.interact(banner=banner, exitmsg="")
        except (SystemExit, OSError):
            pass  # exit(), or the client went away (a broken pipe ends only this console)
        finally:
            try:
                self.reader.close()
                self.conn.close()
            except OSError:
                pass


def _check_local(sock):
    if sock.family == getattr(_stdsocket, "AF_UNIX", None):
        return
    host = sock.getsockname()[0]
    if not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback:
        raise ValueError(f"backdoor: refusing to serve a Python console on {host!r}; listen on "
                         "127.0.0.1, ::1 or a Unix socket")


def backdoor_server(sock, locals=None):
    """Serve consoles on the listening socket ``sock`` (loopback or Unix only) until it is closed
    or the green thread is killed."""
    _check_local(sock)
    try:
        while True:
            conn, addr = sock.accept()
            fasthub.spawn(SocketConsole(conn, locals, addr).serve)
    except (OSError, fasthub.GreenletExit):
        pass
    finally:
        sock.close()


def backdoor(conn_info, locals=None):
    """Listen on ``conn_info`` (a (host, port) on the loopback interface, or a Unix socket path)
    and serve consoles in a new green thread; returns that GreenThread."""
    if isinstance(conn_info, str):
        sock = _gsocket.socket(_gsocket.AF_UNIX, _gsocket.SOCK_STREAM)
        sock.bind(conn_info)
    else:
        host, port = conn_info[0], conn_info[1]
        family = _gsocket.AF_INET6 if ":" in host else _gsocket.AF_INET
        sock = _gsocket.socket(family, _gsocket.SOCK_STREAM)
        try:
            _check_local_address(host)
            sock.setsockopt(_gsocket.SOL_SOCKET, _gsocket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except BaseException:
            sock.close()
            raise
    sock.listen(50)
    return fasthub.spawn(backdoor_server, sock, locals)


def _check_local_address(host):
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"backdoor: refusing to serve a Python console on {host!r}; listen on "
                         "127.0.0.1, ::1 or a Unix socket")
