"""Name resolution that never blocks the hub: getaddrinfo, gethostbyname(_ex), gethostbyaddr,
getnameinfo.

The C library's resolver blocks its OS thread for as long as the network takes (seconds when a name
server is slow). Two resolvers avoid that; ``FASTHUB_RESOLVER`` picks one at first use:

- ``thread`` (default): the C library's own functions run in ``fasthub.tpool``'s OS threads, so the
  answers are exactly the system's (/etc/hosts, nsswitch, search domains) and only the calling green
  thread waits. Numeric hosts ("127.0.0.1", "::1") are answered inline, with no thread hop.
- ``dnspython``: queries are built and parsed by dnspython (``pip install dnspython``) and sent over
  non-blocking sockets that wait in the hub, using the name servers, search list and ndots of
  /etc/resolv.conf and the entries of /etc/hosts; no OS thread is involved. Raises ImportError if
  dnspython is missing.
- ``block``: the C functions called directly (blocks the hub; for debugging only).

``set_resolver()`` installs a resolver object explicitly (any object with the five methods).
"""

import errno as _errno
import os
import socket as _std

import _socket

from fasthub.core import _gsocket
from fasthub.core._hub import monotonic as _monotonic
from fasthub.core._hub import notify_close as _notify_close
from fasthub.sync import tpool

__all__ = [
    "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo",
    "ThreadResolver", "BlockingResolver", "DnspythonResolver", "get_resolver", "set_resolver",
    "is_numeric_host",
]

_inet_pton = _socket.inet_pton
_AI_NUMERICHOST = _socket.AI_NUMERICHOST


def is_numeric_host(host):
    """True if ``host`` is None or a numeric IPv4/IPv6 address: resolving it needs no name server."""
    if host is None:
        return True
    if isinstance(host, bytes):
        try:
            host = host.decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return False
    for family in (_socket.AF_INET, _socket.AF_INET6):
        try:
            _inet_pton(family, host)
            return True
        except (OSError, ValueError):
            pass
    return False


class BlockingResolver:
    """The C library's resolver, called in the calling thread: it BLOCKS the hub. For debugging."""

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        return _socket.getaddrinfo(host, port, family, type, proto, flags)

    def gethostbyname(self, hostname):
        return _socket.gethostbyname(hostname)

    def gethostbyname_ex(self, hostname):
        return _socket.gethostbyname_ex(hostname)

    def gethostbyaddr(self, ip_address):
        return _socket.gethostbyaddr(ip_address)

    def getnameinfo(self, sockaddr, flags):
        return _socket.getnameinfo(sockaddr, flags)


class ThreadResolver:
    """The C library's resolver run in fasthub.tpool's OS threads: blocks only the calling green
    thread. ``functions`` (default: the ``_socket`` module) provides the five C functions."""

    def __init__(self, functions=_socket):
        self._c = functions

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if is_numeric_host(host) or flags & _AI_NUMERICHOST:
            # No name server is involved: the C call returns at once, a thread hop would only cost.
            return self._c.getaddrinfo(host, port, family, type, proto, flags)
        return tpool.execute(self._c.getaddrinfo, host, port, family, type, proto, flags)

    def gethostbyname(self, hostname):
        if is_numeric_host(hostname) and hostname is not None:
            return self._c.gethostbyname(hostname)
        return tpool.execute(self._c.gethostbyname, hostname)

    def gethostbyname_ex(self, hostname):
        return tpool.execute(self._c.gethostbyname_ex, hostname)

    def gethostbyaddr(self, ip_address):
        return tpool.execute(self._c.gethostbyaddr, ip_address)

    def getnameinfo(self, sockaddr, flags):
        if not isinstance(sockaddr, tuple):
            # Fail here, as the C function would: no thread hop, no traceback holding the argument.
            raise TypeError("getnameinfo() argument 1 must be a tuple")
        if flags & _socket.NI_NUMERICHOST and flags & _socket.NI_NUMERICSERV:
            return self._c.getnameinfo(sockaddr, flags)
        return tpool.execute(self._c.getnameinfo, sockaddr, flags)


_resolver = None


def get_resolver():
    """The resolver in use, chosen from FASTHUB_RESOLVER (thread | dnspython | block) on first use."""
    global _resolver
    if _resolver is None:
        choice = (os.environ.get("FASTHUB_RESOLVER") or "thread").strip().lower()
        if choice == "thread":
            _resolver = ThreadResolver()
        elif choice == "dnspython":
            _resolver = DnspythonResolver()
        elif choice == "block":
            _resolver = BlockingResolver()
        else:
            raise ValueError(
                f"fasthub: FASTHUB_RESOLVER={choice!r} is not a resolver; use 'thread' (default), "
                f"'dnspython' or 'block'")
    return _resolver


def set_resolver(resolver):
    """Install ``resolver`` (e.g. ``ThreadResolver()``, ``DnspythonResolver(...)``); None resets to
    the FASTHUB_RESOLVER choice. Returns the previous one."""
    global _resolver
    previous, _resolver = _resolver, resolver
    return previous


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """socket.getaddrinfo that parks only the calling green thread; raises socket.gaierror."""
    return get_resolver().getaddrinfo(host, port, family, type, proto, flags)


def gethostbyname(hostname, /):
    """socket.gethostbyname that parks only the calling green thread; raises socket.gaierror."""
    return get_resolver().gethostbyname(hostname)


def gethostbyname_ex(hostname, /):
    """socket.gethostbyname_ex that parks only the calling green thread; raises socket.gaierror."""
    return get_resolver().gethostbyname_ex(hostname)


def gethostbyaddr(ip_address, /):
    """socket.gethostbyaddr that parks only the calling green thread; raises socket.herror."""
    return get_resolver().gethostbyaddr(ip_address)


def getnameinfo(sockaddr, flags, /):
    """socket.getnameinfo that parks only the calling green thread; raises socket.gaierror."""
    if not isinstance(sockaddr, tuple):
        # As the C function: a TypeError whose traceback keeps no reference to the argument.
        del sockaddr
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    return get_resolver().getnameinfo(sockaddr, flags)


# --- dnspython ---------------------------------------------------------------------------------------

def _gaierror(code, message):
    return _std.gaierror(code, message)


def _not_found():
    return _gaierror(_socket.EAI_NONAME, "Name or service not known")


def _try_again():
    return _gaierror(_socket.EAI_AGAIN, "Temporary failure in name resolution")


class _HostsFile:
    """/etc/hosts, re-read when it changes: name -> [(family, address)], address -> [names]."""

    def __init__(self, path):
        self.path = path
        self._mtime = None
        self.by_name = {}
        self.by_addr = {}

    def _load(self):
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except OSError:
            self.by_name, self.by_addr, self._mtime = {}, {}, None
            return
        if mtime == self._mtime:
            return
        by_name, by_addr = {}, {}
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError:
            lines = []
        for line in lines:
            fields = line.split("#", 1)[0].split()
            if len(fields) < 2:
                continue
            addr = fields[0]
            family = _address_family(addr)
            if family is None:
                continue
            for name in fields[1:]:
                by_name.setdefault(name.lower(), []).append((family, addr))
            by_addr.setdefault(addr, []).extend(fields[1:])
        self.by_name, self.by_addr, self._mtime = by_name, by_addr, mtime

    def lookup(self, name):
        self._load()
        return self.by_name.get(name.lower().rstrip("."), [])

    def reverse(self, addr):
        self._load()
        return self.by_addr.get(addr, [])


def _address_family(addr):
    for family in (_socket.AF_INET, _socket.AF_INET6):
        try:
            _inet_pton(family, addr)
            return family
        except (OSError, ValueError):
            pass
    return None


class _QuerySocket(_std.socket):
    """The socket of one dnspython query: non-blocking, waiting in the hub through the core's socket
    fast path (``fasthub.core._gsocket``), with a green socket's timeout for each whole operation.
    ``fasthub.green.socket`` resolves host names with this module, so this module cannot use green
    sockets without an import cycle; a name server's address is numeric and needs no resolving."""

    __slots__ = ("_timeout",)

    recv = _gsocket.recv
    send = _gsocket.send
    sendall = _gsocket.sendall

    def __init__(self, family, kind, timeout):
        _std.socket.__init__(self, family, kind)
        _std.socket.setblocking(self, False)
        self._timeout = timeout   # read by the fast path's recv/send/sendall

    def connect(self, address):
        """Connect to a numeric ``address``, parking the green thread during the handshake; raises
        OSError if it fails and TimeoutError after the timeout."""
        err = self.connect_ex(address)
        if err in (_errno.EINPROGRESS, _errno.EALREADY, _errno.EINTR):
            _gsocket.wait(self.fileno(), _gsocket.WRITE, _monotonic() + self._timeout)
            err = self.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
        if err:
            raise OSError(err, os.strerror(err))

    def _real_close(self, _ss=_std.socket):
        # Like a green socket: the hub forgets the fd before its number can be reused.
        fd = self.fileno()
        try:
            if fd >= 0:
                _notify_close(fd)
        finally:
            _ss._real_close(self)


class DnspythonResolver:
    """A stub resolver made of dnspython messages and fasthub green sockets (no OS threads).

    ``resolver`` is a ``dns.resolver.Resolver`` giving the configuration (name servers, port, search
    list, ndots, timeout per server, lifetime); by default it reads /etc/resolv.conf. ``hosts`` is the
    hosts file consulted first. Lookups park only the calling green thread; a server that does not
    answer within ``resolver.timeout`` is skipped, and EAI_AGAIN is raised after ``resolver.lifetime``.
    """

    def __init__(self, resolver=None, hosts="/etc/hosts"):
        try:
            import dns.message  # noqa: F401
            import dns.rdatatype  # noqa: F401
            import dns.resolver
            import dns.reversename  # noqa: F401
        except ImportError as e:
            raise ImportError(
                "fasthub: the dnspython resolver (FASTHUB_RESOLVER=dnspython) needs dnspython: "
                "pip install dnspython, or unset FASTHUB_RESOLVER to use the thread resolver") from e
        self.config = resolver if resolver is not None else dns.resolver.Resolver()
        self.hosts = _HostsFile(hosts)

    # -- queries --------------------------------------------------------------------------------

    def _servers(self):
        cfg = self.config
        ports = getattr(cfg, "nameserver_ports", {}) or {}
        servers = []
        for ns in cfg.nameservers:
            if isinstance(ns, str):
                servers.append((ns, ports.get(ns, cfg.port)))
            elif hasattr(ns, "address") and hasattr(ns, "port") and not hasattr(ns, "url"):
                servers.append((ns.address, ns.port))
        return servers

    def _candidates(self, name):
        # The names to try, in order, per resolv.conf's search list and ndots.
        import dns.name

        qname = dns.name.from_text(name)
        if name.endswith("."):
            return [qname]
        rel = dns.name.from_text(name, origin=None)
        ndots = self.config.ndots if self.config.ndots is not None else 1
        searched = [rel.concatenate(d) for d in (self.config.search or [])]
        if name.count(".") >= ndots:
            return [qname] + searched
        return searched + [qname]

    def _exchange(self, wire, server, port, timeout):
        # One query over UDP; over TCP when the answer was truncated.
        family = _address_family(server) or _socket.AF_INET
        with _QuerySocket(family, _socket.SOCK_DGRAM, timeout) as s:
            s.connect((server, port))
            s.send(wire)
            data = s.recv(65535)
        return data

    def _exchange_tcp(self, wire, server, port, timeout):
        family = _address_family(server) or _socket.AF_INET
        with _QuerySocket(family, _socket.SOCK_STREAM, timeout) as s:
            s.connect((server, port))
            s.sendall(len(wire).to_bytes(2, "big") + wire)
            head = self._recv_exactly(s, 2)
            return self._recv_exactly(s, int.from_bytes(head, "big"))

    @staticmethod
    def _recv_exactly(s, n):
        chunks = []
        while n:
            chunk = s.recv(n)
            if not chunk:
                raise ConnectionResetError(_errno.ECONNRESET, "DNS server closed the connection")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _query_name(self, qname, rdtype, deadline):
        """Ask the servers about one absolute name. Returns the response message, or None for
        NXDOMAIN. Raises gaierror(EAI_AGAIN) when no server answered in time."""
        import dns.exception
        import dns.flags
        import dns.message
        import dns.rcode

        servers = self._servers()
        if not servers:
            raise _try_again()
        query = dns.message.make_query(qname, rdtype)
        wire = query.to_wire()
        for server, port in servers:
            remaining = deadline - _monotonic()
            if remaining <= 0:
                break
            timeout = min(self.config.timeout, remaining)
            try:
                data = self._exchange(wire, server, port, timeout)
                response = dns.message.from_wire(data)
                if not query.is_response(response):
                    continue
                if response.flags & dns.flags.TC:
                    data = self._exchange_tcp(wire, server, port, timeout)
                    response = dns.message.from_wire(data)
            except (OSError, dns.exception.DNSException):
                continue
            rcode = response.rcode()
            if rcode == dns.rcode.NXDOMAIN:
                return None
            if rcode == dns.rcode.NOERROR:
                return response
            # SERVFAIL, REFUSED...: ask the next server.
        raise _try_again()

    def _resolve(self, name, rdtype):
        """(canonical name, [rdata text]) for ``name`` after search-list expansion and CNAMEs;
        raises gaierror(EAI_NONAME) when no candidate name exists."""
        import dns.exception

        deadline = _monotonic() + self.config.lifetime
        for qname in self._candidates(name):
            response = self._query_name(qname, rdtype, deadline)
            if response is None:
                continue  # NXDOMAIN: the next search-list candidate
            try:
                chain = response.resolve_chaining()
            except dns.exception.DNSException:
                continue
            canonical = chain.canonical_name.to_text(omit_final_dot=True)
            if chain.answer is None:
                return canonical, []  # the name exists but has no such record
            return canonical, [rd.to_text() for rd in chain.answer]
        raise _not_found()

    # -- the socket-module API --------------------------------------------------------------------

    def _host_text(self, host):
        if isinstance(host, bytes):
            host = host.decode("idna")
        if not isinstance(host, str):
            raise TypeError(f"getaddrinfo() argument 1 must be string or None, not {type(host).__name__}")
        return host

    def _addresses(self, host, family):
        """(canonical name, [(family, address)]) for a host name, from /etc/hosts or DNS."""
        import dns.rdatatype

        entries = [e for e in self.hosts.lookup(host)
                   if family == _socket.AF_UNSPEC or e[0] == family]
        if entries:
            return host, entries
        wanted = []
        if family in (_socket.AF_UNSPEC, _socket.AF_INET6):
            wanted.append((_socket.AF_INET6, dns.rdatatype.AAAA))
        if family in (_socket.AF_UNSPEC, _socket.AF_INET):
            wanted.append((_socket.AF_INET, dns.rdatatype.A))
        canonical, found, errors = host, [], []
        for af, rdtype in wanted:
            try:
                canonical, addrs = self._resolve(host, rdtype)
            except _std.gaierror as e:
                errors.append(e)
                continue
            found.extend((af, a) for a in addrs)
        if not found:
            # Any "try again" wins over "not found": the name may exist.
            for e in errors:
                if e.errno == _socket.EAI_AGAIN:
                    raise _try_again()
            raise _not_found()
        return canonical, found

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if is_numeric_host(host) or flags & _AI_NUMERICHOST:
            return _socket.getaddrinfo(host, port, family, type, proto, flags)
        host = self._host_text(host)
        canonical, addrs = self._addresses(host, family)
        result = []
        for af, addr in addrs:
            # The C resolver builds the tuples for a numeric address without any network access.
            result.extend(_socket.getaddrinfo(addr, port, af, type, proto, flags | _AI_NUMERICHOST))
        if result and flags & _socket.AI_CANONNAME:
            first = result[0]
            result[0] = (first[0], first[1], first[2], canonical, first[4])
        return result

    def gethostbyname(self, hostname):
        return self.gethostbyname_ex(hostname)[2][0]

    def gethostbyname_ex(self, hostname):
        hostname = self._host_text(hostname)
        if is_numeric_host(hostname):
            return _socket.gethostbyname_ex(hostname)
        canonical, addrs = self._addresses(hostname, _socket.AF_INET)
        aliases = [hostname] if canonical.lower() != hostname.lower().rstrip(".") else []
        return canonical, aliases, [a for _af, a in addrs]

    def gethostbyaddr(self, ip_address):
        import dns.rdatatype
        import dns.reversename

        ip = ip_address
        if not is_numeric_host(ip):
            ip = self.getaddrinfo(ip, None)[0][4][0]
        names = self.hosts.reverse(ip)
        if names:
            return names[0], names[1:], [ip]
        try:
            _canonical, ptrs = self._resolve(dns.reversename.from_address(ip).to_text(), dns.rdatatype.PTR)
        except _std.gaierror as e:
            raise _std.herror(1, "Unknown host") from e
        if not ptrs:
            raise _std.herror(1, "Unknown host")
        names = [p.rstrip(".") for p in ptrs]
        return names[0], names[1:], [ip]

    def getnameinfo(self, sockaddr, flags):
        # The service part and the numeric forms need no network: the C function does them (and
        # raises TypeError for a bad sockaddr).
        host, service = _socket.getnameinfo(sockaddr, flags | _socket.NI_NUMERICHOST)
        if flags & _socket.NI_NUMERICHOST:
            return host, service
        try:
            name = self.gethostbyaddr(sockaddr[0])[0]
        except _std.herror:
            if flags & _socket.NI_NAMEREQD:
                raise _not_found() from None
            return host, service
        if flags & _socket.NI_NOFQDN:
            name = name.split(".", 1)[0]
        return name, service
