"""fasthub.green.dns: name resolution that does not block the hub.

Only loopback is used: the thread resolver is checked against the stdlib on local names, and the
dnspython resolver talks to a small DNS server run here, on 127.0.0.1, by a green thread.
"""

import os
import socket as std
import subprocess
import sys
import time

import pytest

from fasthub import sleep, spawn
from fasthub.green import dns as gdns
from fasthub.green import socket as green


@pytest.fixture(autouse=True)
def _restore_resolver():
    previous = gdns.set_resolver(None)
    yield
    gdns.set_resolver(previous)


def _ticker(ticks, stop):
    while not stop:
        ticks.append(time.monotonic())
        sleep(0.01)


# --- the thread resolver (default) -----------------------------------------------------------------------

def test_default_resolver_is_the_thread_resolver(monkeypatch):
    monkeypatch.delenv("FASTHUB_RESOLVER", raising=False)
    assert isinstance(gdns.get_resolver(), gdns.ThreadResolver)


def test_resolver_choice_from_the_environment(monkeypatch):
    monkeypatch.setenv("FASTHUB_RESOLVER", "block")
    assert isinstance(gdns.get_resolver(), gdns.BlockingResolver)
    gdns.set_resolver(None)
    monkeypatch.setenv("FASTHUB_RESOLVER", "dnspython")
    if dns is None:
        with pytest.raises(ImportError, match="pip install dnspython"):
            gdns.get_resolver()
    else:
        assert isinstance(gdns.get_resolver(), gdns.DnspythonResolver)
    gdns.set_resolver(None)
    monkeypatch.setenv("FASTHUB_RESOLVER", "carrier-pigeon")
    with pytest.raises(ValueError, match="FASTHUB_RESOLVER"):
        gdns.get_resolver()


def test_dnspython_missing_is_a_clear_error():
    code = ("import sys; sys.modules['dns'] = None; import os; os.environ['FASTHUB_RESOLVER'] = 'dnspython'; "
            "from fasthub.green import dns; dns.getaddrinfo('example', 80)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "pip install dnspython" in proc.stderr


@pytest.mark.parametrize("resolver", [gdns.ThreadResolver(), gdns.BlockingResolver()],
                         ids=["thread", "block"])
def test_local_names_match_the_stdlib(resolver):
    assert resolver.getaddrinfo("localhost", 80, std.AF_INET) == std.getaddrinfo("localhost", 80, std.AF_INET)
    assert resolver.gethostbyname("localhost") == std.gethostbyname("localhost")
    assert resolver.gethostbyname_ex("localhost") == std.gethostbyname_ex("localhost")
    assert resolver.gethostbyaddr("127.0.0.1") == std.gethostbyaddr("127.0.0.1")
    assert resolver.getnameinfo(("127.0.0.1", 22), 0) == std.getnameinfo(("127.0.0.1", 22), 0)
    assert resolver.getnameinfo(("127.0.0.1", 22), std.NI_NUMERICHOST | std.NI_NUMERICSERV) == ("127.0.0.1", "22")


class _SlowC:
    """The C resolver functions, each taking ``delay`` seconds of real (OS-blocking) time first."""

    def __init__(self, delay):
        self.delay = delay
        self.threads = []

    def __getattr__(self, name):
        import threading

        real = getattr(std, name)

        def slow(*args):
            self.threads.append(threading.get_ident())
            time.sleep(self.delay)
            return real(*args)

        return slow


def test_a_slow_resolution_does_not_stop_other_green_threads():
    import threading

    slow = _SlowC(0.3)
    gdns.set_resolver(gdns.ThreadResolver(slow))
    ticks, stop = [], []
    t = spawn(_ticker, ticks, stop)
    sleep(0)
    start = time.monotonic()
    infos = green.getaddrinfo("localhost", 80, std.AF_INET, std.SOCK_STREAM)
    elapsed = time.monotonic() - start
    stop.append(1)
    t.wait()
    assert infos[0][4] == ("127.0.0.1", 80)
    assert elapsed >= 0.29
    assert slow.threads and slow.threads[0] != threading.get_ident()
    assert len([x for x in ticks if start <= x <= start + elapsed]) >= 5


def test_concurrent_slow_resolutions_overlap():
    gdns.set_resolver(gdns.ThreadResolver(_SlowC(0.3)))
    start = time.monotonic()
    gts = [spawn(green.gethostbyname, "localhost") for _ in range(5)]
    assert [g.wait() for g in gts] == ["127.0.0.1"] * 5
    assert time.monotonic() - start < 1.2  # 5 in a row would take 1.5 s


def test_numeric_hosts_need_no_thread():
    import threading

    c = _SlowC(0)
    gdns.set_resolver(gdns.ThreadResolver(c))
    assert green.getaddrinfo("10.1.2.3", 80)[0][4] == ("10.1.2.3", 80)
    assert green.gethostbyname("10.1.2.3") == "10.1.2.3"
    assert c.threads == [threading.get_ident()] * 2  # answered inline, in the calling thread
    green.gethostbyname("localhost")
    assert c.threads[-1] != threading.get_ident()
    assert gdns.is_numeric_host("::1") and gdns.is_numeric_host(None) and gdns.is_numeric_host(b"127.0.0.1")
    assert not gdns.is_numeric_host("localhost") and not gdns.is_numeric_host("1.2.3.4.example")


def test_resolution_errors_propagate():
    with pytest.raises(std.gaierror) as info:
        green.getaddrinfo("not a host name", 80, flags=std.AI_NUMERICHOST)
    assert info.value.errno == std.EAI_NONAME


# --- the dnspython resolver against a local DNS server ----------------------------------------------------

try:
    import dns.flags
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdatatype
    import dns.resolver
    import dns.rrset
except ImportError:
    dns = None

needs_dnspython = pytest.mark.skipif(dns is None, reason="dnspython is not installed")


class LocalDNS:
    """A tiny authoritative server on 127.0.0.1 (UDP and TCP, same port) run by green threads."""

    def __init__(self, records, truncate=(), silent=False):
        self.records = records          # (name, type) -> [(type, rdata text)] ; CNAMEs included
        self.truncate = set(truncate)   # names answered with TC over UDP
        self.silent = silent
        self.queries = []
        for _attempt in range(20):  # a free UDP port whose TCP twin is free too
            self.udp = green.socket(std.AF_INET, std.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = green.socket(std.AF_INET, std.SOCK_STREAM)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
        self.tcp.listen()
        self.threads = [spawn(self._serve_udp), spawn(self._serve_tcp)]

    def answer(self, wire, over_tcp):
        q = dns.message.from_wire(wire)
        r = dns.message.make_response(q)
        question = q.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype, "tcp" if over_tcp else "udp"))
        if name in self.truncate and not over_tcp:
            r.flags |= dns.flags.TC
            return r.to_wire()
        owner = name
        found = False
        for _ in range(8):  # follow CNAMEs in the zone
            cname = self.records.get((owner, "CNAME"))
            if cname:
                r.answer.append(dns.rrset.from_text(owner + ".", 60, "IN", "CNAME", cname + "."))
                owner = cname
                found = True
                continue
            values = self.records.get((owner, rdtype))
            if values:
                r.answer.append(dns.rrset.from_text(owner + ".", 60, "IN", rdtype, *values))
                found = True
            elif any(k[0] == owner for k in self.records):
                found = True  # the name exists: NODATA
            break
        if not found:
            r.set_rcode(dns.rcode.NXDOMAIN)
        return r.to_wire()

    def _serve_udp(self):
        while True:
            try:
                wire, addr = self.udp.recvfrom(65535)
            except OSError:
                return
            if not self.silent:
                self.udp.sendto(self.answer(wire, False), addr)

    def _serve_tcp(self):
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            with conn:
                size = int.from_bytes(conn.recv(2), "big")
                wire = b""
                while len(wire) < size:
                    wire += conn.recv(size - len(wire))
                out = self.answer(wire, True)
                conn.sendall(len(out).to_bytes(2, "big") + out)

    def resolver(self, hosts, search=(), timeout=2.0, lifetime=4.0):
        cfg = dns.resolver.Resolver(configure=False)
        cfg.nameservers = ["127.0.0.1"]
        cfg.port = self.port
        cfg.search = [dns.name.from_text(d) for d in search]
        cfg.timeout = timeout
        cfg.lifetime = lifetime
        return gdns.DnspythonResolver(cfg, hosts=str(hosts))

    def close(self):
        self.udp.close()
        self.tcp.close()
        for t in self.threads:
            t.wait()


RECORDS = {
    ("www.test", "A"): ["10.0.0.1", "10.0.0.2"],
    ("www.test", "AAAA"): ["fd00::1"],
    ("alias.test", "CNAME"): "www.test",
    ("v4only.test", "A"): ["10.0.0.9"],
    ("host.corp.test", "A"): ["10.9.9.9"],
    ("big.test", "A"): ["10.0.0.%d" % i for i in range(1, 40)],
    ("1.0.0.10.in-addr.arpa", "PTR"): ["www.test."],
}


@pytest.fixture
def hosts_file(tmp_path):
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 localhost\n10.7.7.7 fromhosts.test alias-in-hosts  # comment\n")
    return path


@pytest.fixture
def server():
    s = LocalDNS(RECORDS, truncate={"big.test"})
    yield s
    s.close()


@needs_dnspython
def test_dnspython_getaddrinfo(server, hosts_file):
    r = server.resolver(hosts_file)
    infos = r.getaddrinfo("www.test", 80, 0, std.SOCK_STREAM)
    assert sorted(i[4][0] for i in infos) == ["10.0.0.1", "10.0.0.2", "fd00::1"]
    assert all(i[1] == std.SOCK_STREAM and i[4][1] == 80 for i in infos)
    v4 = r.getaddrinfo("www.test", "http", std.AF_INET, std.SOCK_STREAM, 0, std.AI_CANONNAME)
    assert sorted(i[4] for i in v4) == [("10.0.0.1", 80), ("10.0.0.2", 80)]
    assert v4[0][3] == "www.test"
    assert r.getaddrinfo("127.0.0.1", 5) == std.getaddrinfo("127.0.0.1", 5)  # numeric: no query
    assert all(q[0] != "127.0.0.1" for q in server.queries)


@needs_dnspython
def test_dnspython_cname_and_gethostbyname_ex(server, hosts_file):
    r = server.resolver(hosts_file)
    assert r.gethostbyname("alias.test") in ("10.0.0.1", "10.0.0.2")
    name, aliases, addrs = r.gethostbyname_ex("alias.test")
    assert name == "www.test" and aliases == ["alias.test"] and sorted(addrs) == ["10.0.0.1", "10.0.0.2"]


@needs_dnspython
def test_dnspython_nxdomain_and_nodata(server, hosts_file):
    r = server.resolver(hosts_file)
    with pytest.raises(std.gaierror) as info:
        r.getaddrinfo("missing.test", 80)
    assert info.value.errno == std.EAI_NONAME
    with pytest.raises(std.gaierror):
        r.getaddrinfo("v4only.test", 80, std.AF_INET6)
    assert r.getaddrinfo("v4only.test", 80, std.AF_INET)[0][4] == ("10.0.0.9", 80)


@needs_dnspython
def test_dnspython_hosts_file_first(server, hosts_file):
    r = server.resolver(hosts_file)
    assert r.gethostbyname("fromhosts.test") == "10.7.7.7"
    assert r.gethostbyname("ALIAS-IN-HOSTS") == "10.7.7.7"
    assert r.gethostbyaddr("10.7.7.7") == ("fromhosts.test", ["alias-in-hosts"], ["10.7.7.7"])
    assert not [q for q in server.queries if "hosts" in q[0]]
    hosts_file.write_text("10.8.8.8 fromhosts.test\n")  # re-read when it changes
    os.utime(hosts_file, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert r.gethostbyname("fromhosts.test") == "10.8.8.8"


@needs_dnspython
def test_dnspython_search_list(server, hosts_file):
    r = server.resolver(hosts_file, search=["corp.test"])
    assert r.gethostbyname("host") == "10.9.9.9"
    assert ("host.corp.test", "A", "udp") in server.queries


@needs_dnspython
def test_dnspython_truncated_answer_retries_over_tcp(server, hosts_file):
    r = server.resolver(hosts_file)
    infos = r.getaddrinfo("big.test", 80, std.AF_INET, std.SOCK_STREAM)
    assert len(infos) == 39
    assert ("big.test", "A", "udp") in server.queries and ("big.test", "A", "tcp") in server.queries


@needs_dnspython
def test_dnspython_reverse_lookup(server, hosts_file):
    r = server.resolver(hosts_file)
    assert r.gethostbyaddr("10.0.0.1") == ("www.test", [], ["10.0.0.1"])
    assert r.getnameinfo(("10.0.0.1", 80), 0) == ("www.test", "http")
    assert r.getnameinfo(("10.0.0.1", 80), std.NI_NUMERICSERV | std.NI_NOFQDN) == ("www", "80")
    assert r.getnameinfo(("10.0.0.3", 80), 0) == ("10.0.0.3", "http")
    with pytest.raises(std.herror):
        r.gethostbyaddr("10.0.0.3")
    with pytest.raises(std.gaierror):
        r.getnameinfo(("10.0.0.3", 80), std.NI_NAMEREQD)


@needs_dnspython
def test_dnspython_silent_server_times_out_without_blocking_the_hub(hosts_file):
    s = LocalDNS(RECORDS, silent=True)
    try:
        r = s.resolver(hosts_file, timeout=0.2, lifetime=0.3)
        ticks, stop = [], []
        t = spawn(_ticker, ticks, stop)
        start = time.monotonic()
        with pytest.raises(std.gaierror) as info:
            r.getaddrinfo("www.test", 80, std.AF_INET)
        elapsed = time.monotonic() - start
        stop.append(1)
        t.wait()
        assert info.value.errno == std.EAI_AGAIN
        assert 0.15 <= elapsed < 3.0
        assert len(ticks) >= 5
    finally:
        s.close()


@needs_dnspython
def test_green_socket_uses_the_installed_resolver(server, hosts_file, monkeypatch):
    gdns.set_resolver(server.resolver(hosts_file))
    ls = green.create_server(("127.0.0.1", 0))
    try:
        hosts_file.write_text("127.0.0.1 my-service.test\n")
        os.utime(hosts_file, ns=(time.time_ns() + 2 * 10**9, time.time_ns() + 2 * 10**9))
        c = green.create_connection(("my-service.test", ls.getsockname()[1]))
        conn, _ = ls.accept()
        c.close()
        conn.close()
    finally:
        ls.close()
