"""fasthub.green.socket against the stdlib socket module as the reference, over real loopback sockets."""

import array
import errno
import gc
import io
import os
import socket as std
import sys
import time

import pytest

import fasthub
from fasthub import ConcurrentUseError, FdClosedError, sleep, spawn
from fasthub.green import socket as green

MODULES = {"stdlib": std, "green": green}


def _ipv6_loopback():
    try:
        with std.socket(std.AF_INET6, std.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAVE_IPV6 = _ipv6_loopback()


@pytest.fixture
def pair():
    a, b = green.socketpair()
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def listener():
    ls = green.create_server(("127.0.0.1", 0))
    yield ls
    ls.close()


def _recv_one(listener, n=100):
    conn, _ = listener.accept()
    with conn:
        return conn.recv(n)


def _ticker(ticks, stop):
    while not stop:
        ticks.append(1)
        sleep(0.005)


# --- the module is a drop-in ---------------------------------------------------------------------------

def test_module_has_every_stdlib_name():
    missing = [n for n in std.__all__ if not hasattr(green, n)]
    assert missing == []
    assert green._GLOBAL_DEFAULT_TIMEOUT is std._GLOBAL_DEFAULT_TIMEOUT
    assert green.timeout is std.timeout is TimeoutError
    assert green.error is OSError
    assert green.SocketIO is std.SocketIO
    for name in green.__green__:
        assert getattr(green, name) is not getattr(std, name), name


def test_green_socket_is_a_stdlib_socket(pair):
    a, _ = pair
    assert isinstance(a, std.socket) and isinstance(a, std.SocketType)
    assert "fasthub.green.socket.socket" in repr(a)
    assert a.family == std.AF_UNIX and isinstance(a.family, std.AddressFamily)
    assert a.type == std.SOCK_STREAM


def test_fd_is_non_blocking_at_the_os_level_whatever_the_timeout(pair):
    a, _ = pair
    for t in (None, 0.0, 5.0):
        a.settimeout(t)
        assert os.get_blocking(a.fileno()) is False


# --- timeout semantics, compared with the stdlib ---------------------------------------------------------

def _timeout_attributes(mod):
    s = mod.socket()
    try:
        out = [(s.gettimeout(), s.getblocking(), s.timeout)]
        for action in (lambda: s.settimeout(2), lambda: s.settimeout(0), lambda: s.setblocking(True),
                       lambda: s.setblocking(False), lambda: s.settimeout(None), lambda: s.settimeout(0.5)):
            action()
            out.append((s.gettimeout(), s.getblocking(), s.timeout))
        for bad in (-1, "x", float("nan")):
            try:
                s.settimeout(bad)
            except Exception as e:  # noqa: BLE001 - comparing what each module raises
                out.append(type(e).__name__)
        return out
    finally:
        s.close()


def test_timeout_attributes_match_the_stdlib():
    assert _timeout_attributes(green) == _timeout_attributes(std)


def test_default_timeout_applies_to_new_and_accepted_sockets():
    old = std.getdefaulttimeout()
    std.setdefaulttimeout(3.0)
    try:
        ls = green.create_server(("127.0.0.1", 0))
        c = green.create_connection(ls.getsockname())
        s, _ = ls.accept()
        ref, new = std.socket(), green.socket()
        assert new.gettimeout() == ref.gettimeout() == 3.0
        assert s.gettimeout() == 3.0
        for x in (ls, c, s, ref, new):
            x.close()
    finally:
        std.setdefaulttimeout(old)


def test_sock_nonblock_type_means_timeout_zero():
    s = green.socket(std.AF_INET, std.SOCK_STREAM | std.SOCK_NONBLOCK)
    ref = std.socket(std.AF_INET, std.SOCK_STREAM | std.SOCK_NONBLOCK)
    assert s.gettimeout() == ref.gettimeout() == 0.0
    assert s.type == ref.type == std.SOCK_STREAM
    s.close()
    ref.close()


# --- data calls, compared with the stdlib (data already queued: nothing waits) ---------------------------

def _data_calls(mod):
    a, b = mod.socketpair()
    out = []
    try:
        b.sendall(b"hello world, and more")
        out.append(a.recv(5))
        buf = bytearray(4)
        out.append((a.recv_into(buf), bytes(buf)))
        mv = memoryview(bytearray(10))
        out.append(a.recv_into(mv, 2))
        out.append(a.recv(100))
        out.append(b.send(b"xyz"))
        out.append(a.recv(0))
        out.append(a.recv(3, std.MSG_PEEK))
        out.append(a.recv(3))
        for call in (lambda: a.recv(-1), lambda: a.recv_into(bytearray(2), 5),
                     lambda: a.recv_into(bytearray(2), -1), lambda: a.recv_into(b"readonly"),
                     lambda: a.send("text")):
            try:
                call()
            except Exception as e:  # noqa: BLE001 - comparing what each module raises
                out.append((type(e).__name__, str(e)))
        a.setblocking(False)
        try:
            a.recv(1)
        except BlockingIOError as e:
            out.append(("BlockingIOError", e.errno))
        b.close()
        a.setblocking(True)
        out.append(a.recv(10))  # EOF
        a.close()
        try:
            a.recv(1)
        except OSError as e:
            out.append(("closed", e.errno))
    finally:
        a.close()
        b.close()
    return out


def test_data_calls_match_the_stdlib():
    assert _data_calls(green) == _data_calls(std)


def _error_calls(mod):
    out = []
    ls = mod.create_server(("127.0.0.1", 0))
    port = ls.getsockname()[1]
    ls.close()
    s = mod.socket()
    try:
        s.connect(("127.0.0.1", port))
    except OSError as e:
        out.append((type(e).__name__, e.errno))
    s.close()
    s = mod.socket()
    out.append(s.connect_ex(("127.0.0.1", port)))
    s.close()
    a, b = mod.socketpair()
    b.close()
    try:
        for _ in range(100):
            a.sendall(b"x" * 65536)
    except OSError as e:
        out.append(type(e).__name__)
    a.close()
    return out


def test_connection_errors_match_the_stdlib():
    assert _error_calls(green) == _error_calls(std)


def _misuse_calls(mod):
    out = []
    s = mod.socket(std.AF_INET, std.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    name = s.getsockname()
    calls = [lambda: s.sendto("text", name), lambda: s.sendto(5j, name), lambda: s.sendto(b"x", None),
             lambda: s.sendto(b"x", 0, None), lambda: s.sendto(b"x", "bar", name), lambda: s.sendto(b"x"),
             lambda: s.sendto(b"x", 0, name, 4), lambda: s.recvfrom(1, std.MSG_DONTWAIT),
             lambda: mod.getnameinfo("not a tuple", 0)]
    for call in calls:
        try:
            call()
        except Exception as e:  # noqa: BLE001 - comparing what each module raises
            out.append((type(e).__name__, str(e).replace("sendto() ", "")))
    s.close()
    for call in (lambda: s.settimeout(1), lambda: s.setblocking(True)):
        try:
            call()
        except OSError as e:
            out.append(("closed", e.errno))
    return out


def test_misuse_raises_like_the_stdlib():
    assert _misuse_calls(green) == _misuse_calls(std)


@pytest.mark.parametrize("call", ["recv", "recv_into", "send", "sendall", "recvmsg", "sendmsg"])
def test_msg_dontwait_never_waits_on_a_blocking_socket(pair, call):
    a, _ = pair
    a.settimeout(None)
    if call.startswith("send"):
        a.setblocking(False)
        try:
            while True:
                a.send(b"x" * 65536)
        except BlockingIOError:
            pass
        a.setblocking(True)
    ops = {
        "recv": lambda: a.recv(10, std.MSG_DONTWAIT),
        "recv_into": lambda: a.recv_into(bytearray(10), 0, std.MSG_DONTWAIT),
        "send": lambda: a.send(b"x" * 65536, std.MSG_DONTWAIT),
        "sendall": lambda: a.sendall(b"x" * 65536, std.MSG_DONTWAIT),
        "recvmsg": lambda: a.recvmsg(10, 0, std.MSG_DONTWAIT),
        "sendmsg": lambda: a.sendmsg([b"x" * 65536], [], std.MSG_DONTWAIT),
    }
    with pytest.raises(BlockingIOError):
        ops[call]()


def test_create_connection_uses_a_rebound_socket_class(monkeypatch, listener):
    made = []

    class Recording(green.socket):
        __slots__ = ()

        def __init__(self, *args, **kwargs):
            made.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(std, "socket", Recording)
    c = green.create_connection(listener.getsockname())
    assert type(c) is Recording and made
    c.close()


# --- blocking parks only the calling green thread --------------------------------------------------------

def test_recv_parks_only_the_calling_green_thread(pair):
    a, b = pair
    ticks, stop = [], []
    t = spawn(_ticker, ticks, stop)

    def late_sender():
        sleep(0.1)
        b.sendall(b"late")

    spawn(late_sender)
    start = time.monotonic()
    assert a.recv(10) == b"late"
    assert time.monotonic() - start >= 0.09
    stop.append(1)
    t.wait()
    assert len(ticks) >= 5


def test_accept_and_connect_are_green(listener):
    got = []

    def server():
        conn, addr = listener.accept()
        assert isinstance(conn, green.socket)
        got.append(conn.recv(10))
        conn.sendall(b"ok")
        conn.close()

    g = spawn(server)
    c = green.socket()
    c.connect(listener.getsockname())
    c.sendall(b"hi")
    assert c.recv(10) == b"ok"
    g.wait()
    assert got == [b"hi"]
    c.close()


def test_large_sendall_with_a_slow_reader(pair):
    a, b = pair
    payload = os.urandom(3 * 1024 * 1024)
    received = []

    def reader():
        total = 0
        while total < len(payload):
            chunk = b.recv(65536)
            received.append(chunk)
            total += len(chunk)
            if len(received) % 8 == 0:
                sleep(0.001)

    g = spawn(reader)
    a.sendall(payload)
    g.wait()
    assert b"".join(received) == payload


def test_many_clients_each_waiting_are_served_concurrently(listener):
    # 100 clients whose server handler sleeps 0.2 s each: concurrent, not 20 s in a row.
    def handle(conn):
        data = conn.recv(100)
        sleep(0.2)
        conn.sendall(data.upper())
        conn.close()

    def accept_loop():
        for _ in range(100):
            conn, _ = listener.accept()
            spawn(handle, conn)

    def client(i):
        with green.create_connection(listener.getsockname()) as c:
            c.sendall(b"client %d" % i)
            return c.recv(100)

    acceptor = spawn(accept_loop)
    start = time.monotonic()
    clients = [spawn(client, i) for i in range(100)]
    results = [c.wait() for c in clients]
    elapsed = time.monotonic() - start
    acceptor.wait()
    assert results == [b"CLIENT %d" % i for i in range(100)]
    assert elapsed < 3.0  # serially it would be 20 s


# --- timeouts ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", ["recv", "recv_into", "recvfrom", "accept"])
def test_read_side_timeouts(pair, listener, call):
    a, _ = pair
    target = listener if call == "accept" else a
    target.settimeout(0.1)
    ops = {
        "recv": lambda: a.recv(10),
        "recv_into": lambda: a.recv_into(bytearray(10)),
        "recvfrom": lambda: a.recvfrom(10),
        "accept": lambda: listener.accept(),
    }
    start = time.monotonic()
    with pytest.raises(std.timeout, match="timed out"):
        ops[call]()
    assert 0.09 <= time.monotonic() - start < 2.0


def test_sendall_timeout_bounds_the_whole_call(pair):
    a, _ = pair
    a.settimeout(0.2)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        a.sendall(b"x" * (64 * 1024 * 1024))  # the peer never reads
    assert 0.19 <= time.monotonic() - start < 3.0


def test_non_blocking_send_raises_when_the_buffer_is_full(pair):
    a, _ = pair
    a.setblocking(False)
    with pytest.raises(BlockingIOError):
        for _ in range(10000):
            a.send(b"x" * 65536)
    with pytest.raises(BlockingIOError):
        a.sendall(b"x" * 65536)


def test_unix_connect_to_a_full_backlog_times_out(tmp_path):
    path = str(tmp_path / "s")
    ls = green.socket(std.AF_UNIX, std.SOCK_STREAM)
    ls.bind(path)
    ls.listen(0)
    first = green.socket(std.AF_UNIX, std.SOCK_STREAM)
    first.connect(path)
    extra = []
    c = None
    try:
        while True:  # fill whatever the kernel allows for backlog 0
            c = green.socket(std.AF_UNIX, std.SOCK_STREAM)
            c.settimeout(0.2)
            start = time.monotonic()
            try:
                c.connect(path)
            except TimeoutError:
                assert 0.15 <= time.monotonic() - start < 3.0
                break
            extra.append(c)
            assert len(extra) < 16, "the backlog never filled"
        # Once the listener accepts, a waiting connect gets through.
        late = green.socket(std.AF_UNIX, std.SOCK_STREAM)

        def accept_all():
            conns = []
            for _ in range(len(extra) + 2):
                conns.append(ls.accept()[0])
            return conns

        g = spawn(accept_all)
        late.settimeout(5)
        late.connect(path)
        for conn in g.wait():
            conn.close()
        late.close()
    finally:
        for s in [ls, first, c, *extra]:
            if s is not None:
                s.close()


# --- closing wakes waiters; misuse is reported ----------------------------------------------------------

@pytest.mark.parametrize("call", ["recv", "recv_into", "recvfrom", "accept", "sendall"])
def test_close_wakes_a_blocked_green_thread(pair, listener, call):
    a, _ = pair
    target = listener if call == "accept" else a
    ops = {
        "recv": lambda: a.recv(10),
        "recv_into": lambda: a.recv_into(bytearray(10)),
        "recvfrom": lambda: a.recvfrom(10),
        "accept": lambda: listener.accept(),
        "sendall": lambda: a.sendall(b"x" * (32 * 1024 * 1024)),
    }
    outcome = []

    def blocked():
        try:
            ops[call]()
        except OSError as e:
            outcome.append(e)

    g = spawn(blocked)
    sleep(0.05)
    assert outcome == []
    target.close()
    g.wait()
    assert len(outcome) == 1
    assert isinstance(outcome[0], FdClosedError) and outcome[0].errno == errno.EBADF


def test_two_readers_get_a_concurrent_use_error(pair):
    a, b = pair
    first = spawn(a.recv, 10)
    sleep(0.01)
    with pytest.raises(ConcurrentUseError):
        a.recv(10)
    b.sendall(b"one")
    assert first.wait() == b"one"


def test_reader_and_writer_may_share_a_socket(pair):
    a, b = pair
    reader = spawn(a.recv, 10)
    sleep(0.01)
    a.sendall(b"ping")  # writing while another green thread reads the same socket
    assert b.recv(10) == b"ping"
    b.sendall(b"pong")
    assert reader.wait() == b"pong"


def test_forgotten_socket_leaves_no_stale_registration():
    # A socket collected without close() must not leave the hub believing a reused fd number is
    # already watched (with epoll the next wait on that number would never wake).
    a, b = green.socketpair()
    fds = (a.fileno(), b.fileno())
    a.settimeout(0.01)
    with pytest.raises(TimeoutError):
        a.recv(1)  # the hub now watches a's fd
    with pytest.warns(ResourceWarning):
        del a, b
        gc.collect()
    c, d = green.socketpair()
    try:
        assert {c.fileno(), d.fileno()} & set(fds)
        spawn(lambda: (sleep(0.02), d.sendall(b"x")))
        c.settimeout(2)
        assert c.recv(1) == b"x"
    finally:
        c.close()
        d.close()


# --- UDP, Unix, IPv6 --------------------------------------------------------------------------------------

def test_udp_round_trip():
    srv = green.socket(std.AF_INET, std.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    cli = green.socket(std.AF_INET, std.SOCK_DGRAM)

    def echo():
        data, addr = srv.recvfrom(100)
        srv.sendto(data.upper(), addr)
        buf = bytearray(100)
        n, addr = srv.recvfrom_into(buf)
        srv.sendto(bytes(buf[:n]), 0, addr)

    g = spawn(echo)
    sleep(0.01)
    cli.sendto(b"hello", srv.getsockname())
    assert cli.recvfrom(100) == (b"HELLO", srv.getsockname())
    cli.sendto(b"again", 0, srv.getsockname())
    assert cli.recv(100) == b"again"
    g.wait()
    cli.settimeout(0.05)
    with pytest.raises(TimeoutError):
        cli.recvfrom(10)
    srv.close()
    cli.close()


def test_udp_sendto_resolves_host_names_with_the_green_resolver():
    srv = green.socket(std.AF_INET, std.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    cli = green.socket(std.AF_INET, std.SOCK_DGRAM)
    cli.sendto(b"by name", ("localhost", srv.getsockname()[1]))
    srv.settimeout(2)
    assert srv.recvfrom(100)[0] == b"by name"
    srv.close()
    cli.close()


def test_unix_stream_and_fd_passing(tmp_path):
    path = str(tmp_path / "sock")
    ls = green.socket(std.AF_UNIX, std.SOCK_STREAM)
    ls.bind(path)
    ls.listen()
    r, w = os.pipe()

    def server():
        conn, _ = ls.accept()
        msg, anc, flags, addr = conn.recvmsg(100, std.CMSG_SPACE(4))
        fds = array.array("i")
        for level, kind, data in anc:
            if level == std.SOL_SOCKET and kind == std.SCM_RIGHTS:
                fds.frombytes(data[:4])
        os.write(fds[0], msg)
        os.close(fds[0])
        bufs = [bytearray(3), bytearray(3)]
        n = conn.recvmsg_into(bufs)[0]
        conn.close()
        return n, bytes(bufs[0]) + bytes(bufs[1])

    g = spawn(server)
    c = green.socket(std.AF_UNIX, std.SOCK_STREAM)
    c.connect(path)
    c.sendmsg([b"via fd"], [(std.SOL_SOCKET, std.SCM_RIGHTS, array.array("i", [w]))])
    sleep(0.01)
    c.sendmsg([b"abc", b"def"])
    assert g.wait() == (6, b"abcdef")
    assert os.read(r, 100) == b"via fd"
    for fd in (r, w):
        os.close(fd)
    c.close()
    ls.close()


def test_unix_datagram_socketpair():
    a, b = green.socketpair(std.AF_UNIX, std.SOCK_DGRAM)
    g = spawn(b.recv, 100)
    sleep(0.01)
    a.send(b"datagram")
    assert g.wait() == b"datagram"
    a.close()
    b.close()


@pytest.mark.skipif(not HAVE_IPV6, reason="no IPv6 loopback (::1) on this machine")
def test_ipv6_tcp():
    ls = green.create_server(("::1", 0), family=std.AF_INET6)
    g = spawn(_recv_one, ls)
    c = green.create_connection(("::1", ls.getsockname()[1]))
    assert c.family == std.AF_INET6
    c.sendall(b"six")
    assert g.wait() == b"six"
    c.close()
    ls.close()


@pytest.mark.skipif(not HAVE_IPV6, reason="no IPv6 loopback (::1) on this machine")
def test_ipv6_udp():
    srv = green.socket(std.AF_INET6, std.SOCK_DGRAM)
    srv.bind(("::1", 0))
    cli = green.socket(std.AF_INET6, std.SOCK_DGRAM)
    g = spawn(srv.recvfrom, 100)
    sleep(0.01)
    cli.sendto(b"v6", srv.getsockname())
    data, addr = g.wait()
    assert data == b"v6" and addr[0] == "::1"
    srv.close()
    cli.close()


# --- sendfile and makefile --------------------------------------------------------------------------------

@pytest.fixture
def payload_file(tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 123)
    path = tmp_path / "payload"
    path.write_bytes(data)
    return path, data


def _drain(sock, n):
    chunks, total = [], 0
    while total < n:
        chunk = sock.recv(min(65536, n - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("offset,count", [(0, None), (1000, None), (5, 70000)])
def test_sendfile_with_os_sendfile(listener, payload_file, offset, count):
    path, data = payload_file
    expected = data[offset:offset + count] if count else data[offset:]
    c = green.create_connection(listener.getsockname())
    conn, _ = listener.accept()
    reader = spawn(_drain, conn, len(expected))
    with open(path, "rb") as f:
        sent = c.sendfile(f, offset, count)
        assert f.tell() == offset + sent
    assert sent == len(expected)
    assert reader.wait() == expected
    c.close()
    conn.close()


def test_sendfile_falls_back_to_send_for_non_files(pair):
    a, b = pair
    data = os.urandom(300000)
    reader = spawn(_drain, b, len(data))
    assert a.sendfile(io.BytesIO(data)) == len(data)
    assert reader.wait() == data


def test_sendfile_refuses_non_blocking_sockets(pair, payload_file):
    a, _ = pair
    a.setblocking(False)
    with open(payload_file[0], "rb") as f, pytest.raises(ValueError, match="non-blocking"):
        a.sendfile(f)


@pytest.mark.parametrize("mode,buffering", [("rb", None), ("rb", 0), ("r", None), ("rwb", None)])
def test_makefile_reading(pair, mode, buffering):
    a, b = pair
    f = a.makefile(mode, buffering=buffering)
    text = "b" not in mode

    def writer():
        for line in (b"first line\n", b"second ", b"line\n", b"tail"):
            b.sendall(line)
            sleep(0.01)
        b.shutdown(std.SHUT_WR)

    w = spawn(writer)
    if buffering == 0:
        assert f.read(5) in (b"first", b"f", b"fi", b"fir", b"firs")  # raw: one recv
        w.wait()   # before the pair fixture closes b under it
        return f.close()
    lines = list(f)
    expected = [b"first line\n", b"second line\n", b"tail"]
    assert lines == ([x.decode() for x in expected] if text else expected)
    f.close()


def test_makefile_writing_and_close_semantics(pair):
    a, b = pair
    w = a.makefile("w", encoding="utf-8", newline="\n")
    a.close()  # the file still holds the socket open
    w.write("héllo\n")
    w.flush()
    assert b.recv(100) == "héllo\n".encode()
    w.close()  # last reference: now the fd is closed
    assert a.fileno() == -1
    assert b.recv(10) == b""


def test_makefile_timeout_marks_the_file(pair):
    a, _ = pair
    a.settimeout(0.05)
    f = a.makefile("rb", buffering=0)
    with pytest.raises(TimeoutError):
        f.read(10)
    with pytest.raises(OSError, match="timed out"):
        f.read(10)
    f.close()


# --- dup, detach, fromfd, context manager, module functions ---------------------------------------------

def test_dup_keeps_timeout_and_class(pair):
    a, b = pair
    a.settimeout(1.5)
    d = a.dup()
    assert type(d) is green.socket and d.gettimeout() == 1.5
    b.sendall(b"x")
    assert d.recv(1) == b"x"
    d.close()


def test_detach_hands_over_the_fd(pair):
    a, b = pair
    fd = a.detach()
    assert a.fileno() == -1
    s = green.socket(fileno=fd)
    b.sendall(b"after detach")
    assert s.recv(100) == b"after detach"
    s.close()


def test_detach_wakes_waiters(pair, hub_errors):
    a, _ = pair
    g = spawn(a.recv, 1)
    sleep(0.01)
    fd = a.detach()
    with pytest.raises(FdClosedError):
        g.wait()
    assert [type(e) for _, e in hub_errors.take()] == [FdClosedError]
    os.close(fd)


def test_fromfd_and_context_manager(pair):
    a, b = pair
    with green.fromfd(a.fileno(), std.AF_UNIX, std.SOCK_STREAM) as f:
        assert isinstance(f, green.socket) and f.fileno() != a.fileno()
        b.sendall(b"dup'd")
        assert f.recv(10) == b"dup'd"
    assert f.fileno() == -1


def test_create_connection_resolves_localhost_and_binds_source(listener):
    port = listener.getsockname()[1]
    c = green.create_connection(("localhost", port), timeout=2, source_address=("127.0.0.1", 0))
    assert isinstance(c, green.socket) and c.gettimeout() == 2
    assert c.getpeername()[1] == port
    c.close()


def test_create_connection_failure_raises_like_the_stdlib():
    ls = std.create_server(("127.0.0.1", 0))
    addr = ls.getsockname()
    ls.close()
    with pytest.raises(ConnectionRefusedError):
        green.create_connection(addr)
    if sys.version_info >= (3, 11):
        with pytest.raises(ExceptionGroup) as info:  # noqa: F821 - 3.11+
            green.create_connection(addr, all_errors=True)
        assert all(isinstance(e, ConnectionRefusedError) for e in info.value.exceptions)
    else:
        with pytest.raises(TypeError):
            green.create_connection(addr, all_errors=True)


def test_getaddrinfo_matches_the_stdlib():
    for args in [("127.0.0.1", 80), ("localhost", "http", 0, std.SOCK_STREAM), (None, 0),
                 ("::1", 443, std.AF_INET6)]:
        if args[0] == "::1" and not HAVE_IPV6:
            continue
        assert green.getaddrinfo(*args) == std.getaddrinfo(*args)
    result = green.getaddrinfo("127.0.0.1", 80, type=std.SOCK_STREAM)
    assert isinstance(result[0][0], std.AddressFamily) and isinstance(result[0][1], std.SocketKind)


def test_name_functions_match_the_stdlib():
    assert green.gethostbyname("localhost") == std.gethostbyname("localhost")
    assert green.gethostbyname_ex("localhost") == std.gethostbyname_ex("localhost")
    assert green.gethostbyaddr("127.0.0.1") == std.gethostbyaddr("127.0.0.1")
    assert green.getnameinfo(("127.0.0.1", 80), 0) == std.getnameinfo(("127.0.0.1", 80), 0)
    assert green.getfqdn("127.0.0.1") == std.getfqdn("127.0.0.1")
    with pytest.raises(std.gaierror):
        green.getaddrinfo("not-a-number", 80, flags=std.AI_NUMERICHOST)


def test_connect_with_a_host_name(listener):
    c = green.socket()
    c.connect(("localhost", listener.getsockname()[1]))
    conn, _ = listener.accept()
    c.sendall(b"named")
    assert conn.recv(10) == b"named"
    c.close()
    conn.close()


def test_shutdown_wakes_a_reader_with_eof(pair):
    a, _ = pair
    g = spawn(a.recv, 10)
    sleep(0.01)
    a.shutdown(std.SHUT_RD)
    assert g.wait() == b""


def test_socket_works_in_another_os_thread():
    import threading

    out = []

    def thread_main():
        a, b = green.socketpair()
        g = spawn(a.recv, 10)
        sleep(0.01)
        b.sendall(b"thread")
        out.append(g.wait())
        a.close()
        b.close()
        fasthub.get_hub().destroy()

    t = threading.Thread(target=thread_main)
    t.start()
    t.join(10)
    assert out == [b"thread"]


def test_green_modules_work_once_swapped_into_the_stdlib_modules():
    # What monkey patching does: every name in a green module's __green__ is set on the stdlib
    # module. The green code must not then call itself through the stdlib module's names.
    import subprocess
    import textwrap

    code = textwrap.dedent("""
        import importlib
        import fasthub
        for name in ("socket", "select", "selectors", "ssl", "time"):
            std_mod = importlib.import_module(name)
            green_mod = importlib.import_module("fasthub.green." + name)
            for attr in green_mod.__green__:
                setattr(std_mod, attr, getattr(green_mod, attr))
        import select, selectors, socket, ssl, time
        a, b = socket.socketpair()
        assert type(a).__module__ == "fasthub.green.socket"
        fasthub.spawn(lambda: (time.sleep(0.01), b.sendall(b"x")))
        assert select.select([a], [], [], 5) == ([a], [], [])
        p = select.poll(); p.register(a, select.POLLIN); assert p.poll(0)
        ep = select.epoll(); ep.register(a, select.EPOLLIN); assert ep.poll(0); ep.close()
        with selectors.DefaultSelector() as sel:
            sel.register(a, selectors.EVENT_READ)
            assert sel.select(1)
        ls = socket.create_server(("127.0.0.1", 0))
        c = socket.create_connection(ls.getsockname())
        assert type(ls).__module__ == type(c).__module__ == "fasthub.green.socket"
        ctx = ssl.create_default_context()
        ctx.options |= ssl.OP_NO_TICKET
        assert type(ctx).__module__ == "fasthub.green.ssl"
        assert type(ssl._create_unverified_context()).__module__ == "fasthub.green.ssl"
        for s in (a, b, ls, c):
            s.close()
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
