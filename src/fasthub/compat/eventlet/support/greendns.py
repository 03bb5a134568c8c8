"""``eventlet.support.greendns``: a green DNS resolver on dnspython, with eventlet's interface.

How a name is resolved. ``resolve(name, family)`` asks ``resolver``, a ``ResolverProxy``: the hosts
file first (``HostsResolver``, re-read when it changes), then the nameservers through dnspython,
whose sockets are fasthub's green ones under the alias, so a lookup parks only the calling green
thread. ``getaddrinfo`` looks in the hosts file alone first and goes to the network only if the
hosts file knows nothing of the name (a name listed there for IPv4 only is not completed with
IPv6 addresses from DNS); it asks for AAAA before A and then builds each result with the system's
numeric ``getaddrinfo``. DNS failures become ``socket.gaierror``: a timeout is EAI_AGAIN, an
unknown name EAI_NONAME, any other DNS error EAI_NODATA.

The module-level names ``resolver``, ``resolve``, ``resolve_cname`` and ``getaliases`` are looked
up at call time, so replacing them (as eventlet's tests and some applications do) takes effect.

fasthub's own resolver for patched programs is ``fasthub.green.dns``; this module serves code
written against eventlet's.
"""

import ipaddress
import os
import socket as _stdsocket
import time
import warnings

import dns.exception
import dns.flags
import dns.inet
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.resolver
import dns.reversename
import dns.rrset

from fasthub.green import socket  # the green socket module: udp()/tcp() park, not block

__all__ = ["getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo",
           "getaliases", "resolve", "resolve_cname", "udp", "tcp", "HostsResolver",
           "ResolverProxy", "HostsAnswer", "is_ipv4_addr", "is_ipv6_addr", "is_ip_addr"]

#: Seconds a hosts file answer lives, and between two checks of the file for changes.
HOSTS_TTL = 10.0
DNS_QUERY_TIMEOUT = 10.0

EAI_EAGAIN_ERROR = _stdsocket.gaierror(_stdsocket.EAI_AGAIN, "Lookup timed out")
EAI_NONAME_ERROR = _stdsocket.gaierror(_stdsocket.EAI_NONAME, "Name or service not known")
EAI_NODATA_ERROR = _stdsocket.gaierror(getattr(_stdsocket, "EAI_NODATA", _stdsocket.EAI_NONAME),
                                       "No address associated with hostname")


def _raise_new_error(error):
    # A fresh exception each time: raising the shared instance would pin the traceback (and the
    # frames of every caller) to the module-level object.
    raise error.__class__(*error.args) from None


def is_ipv4_addr(host):
    """True if ``host`` is an IPv4 address literal."""
    if not isinstance(host, str):
        return False
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def is_ipv6_addr(host):
    """True if ``host`` is an IPv6 address literal (a %scope suffix allowed)."""
    if not isinstance(host, str):
        return False
    try:
        ipaddress.IPv6Address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def is_ip_addr(host):
    """True if ``host`` is an IPv4 or IPv6 address literal."""
    return is_ipv4_addr(host) or is_ipv6_addr(host)


def _text(name):
    if isinstance(name, dns.name.Name):
        return name.to_text(omit_final_dot=True)
    if isinstance(name, bytes):
        name = name.decode("ascii")
    return str(name).rstrip(".") if str(name) != "." else "."


class HostsAnswer(dns.resolver.Answer):
    """A dnspython Answer built without a DNS response (from the hosts file, or empty)."""

    def __init__(self, qname, rdtype, rdclass, rrset, raise_on_no_answer=True):
        self.response = None
        self.qname = qname
        self.rdtype = rdtype
        self.rdclass = rdclass
        self.canonical_name = qname
        if not rrset and raise_on_no_answer:
            raise dns.resolver.NoAnswer()
        self.rrset = rrset
        self.expiration = time.time() + getattr(rrset, "ttl", 0)
        self.nameserver = None
        self.port = None
        self.chaining_result = None

    def __getitem__(self, i):
        return self.rrset[i]

    def __len__(self):
        return len(self.rrset) if self.rrset else 0

    def __iter__(self):
        return iter(self.rrset or ())


class HostsResolver:
    """Answers A, AAAA and CNAME queries from a hosts file (default /etc/hosts), re-reading it at
    most every ``interval`` seconds when its modification time changed."""

    def __init__(self, fname=None, interval=HOSTS_TTL):
        self.fname = fname or ("/etc/hosts" if os.name == "posix" else
                               os.path.join(os.environ.get("SystemRoot", "C:\\Windows"),
                                            "System32", "drivers", "etc", "hosts"))
        self.interval = interval
        self._v4 = {}
        self._v6 = {}
        self._aliases = {}
        self._last_load = 0
        self._last_stat = 0
        self._load()

    def _readlines(self):
        """The meaningful lines of the file: comments and blank lines removed, stripped."""
        try:
            with open(self.fname, "rb") as f:
                data = f.read()
        except OSError:
            return []
        out = []
        for line in data.decode("utf-8", "replace").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
        return out

    def _load(self):
        """(Re)read the file into the address and alias tables."""
        v4, v6, aliases = {}, {}, {}
        for line in self._readlines():
            parts = line.split()
            if len(parts) < 2:
                continue
            addr, names = parts[0], [n.lower() for n in parts[1:]]
            if is_ipv4_addr(addr):
                table = v4
            elif is_ipv6_addr(addr):
                if ipaddress.IPv6Address(addr.split("%", 1)[0]).is_link_local:
                    continue  # needs a scope to be usable: not an answer for a plain name
                table = v6
            else:
                continue
            for name in names:
                table.setdefault(name, addr)
            for alias in names[1:]:
                aliases.setdefault(alias, names[0])
        self._v4, self._v6, self._aliases = v4, v6, aliases
        self._last_load = time.time()

    def _maybe_reload(self):
        now = time.time()
        if now - self._last_stat < self.interval:
            return
        self._last_stat = now
        try:
            mtime = os.stat(self.fname).st_mtime
        except OSError:
            return
        if mtime > self._last_load:
            self._load()

    def query(self, qname, rdtype=dns.rdatatype.A, rdclass=dns.rdataclass.IN, tcp=False,
              source=None, raise_on_no_answer=True):
        """A HostsAnswer for ``qname`` (A, AAAA or CNAME); NoAnswer if the file has none and
        ``raise_on_no_answer``."""
        self._maybe_reload()
        name = _text(qname).lower()
        qname = dns.name.from_text(name)
        rrset = dns.rrset.RRset(qname, rdclass, rdtype)
        rrset.update_ttl(int(HOSTS_TTL))
        if rdclass == dns.rdataclass.IN:
            if rdtype == dns.rdatatype.A and name in self._v4:
                rrset.add(dns.rdtypes.IN.A.A(rdclass, rdtype, self._v4[name]))
            elif rdtype == dns.rdatatype.AAAA and name in self._v6:
                rrset.add(dns.rdtypes.IN.AAAA.AAAA(rdclass, rdtype, self._v6[name]))
            elif rdtype == dns.rdatatype.CNAME and name in self._aliases:
                rrset.add(dns.rdtypes.ANY.CNAME.CNAME(rdclass, rdtype,
                                                      dns.name.from_text(self._aliases[name])))
        return HostsAnswer(qname, rdtype, rdclass, rrset, raise_on_no_answer)

    def getaliases(self, hostname):
        """The other names of ``hostname`` in the file (its canonical name and its aliases)."""
        self._maybe_reload()
        name = _text(hostname).lower()
        canonical = self._aliases.get(name)
        if canonical is None:
            return [alias for alias, target in self._aliases.items() if target == name]
        return [canonical] + [alias for alias, target in self._aliases.items()
                              if target == canonical and alias != name]


class ResolverProxy:
    """The hosts file first, then dnspython's Resolver (made from ``filename``, a resolv.conf, or
    unconfigured when None); ``clear()`` makes a fresh Resolver (after resolv.conf changed)."""

    def __init__(self, hosts_resolver=None, filename="/etc/resolv.conf"):
        self._hosts = hosts_resolver
        self._filename = filename
        self._cached_resolver = None

    @property
    def _resolver(self):
        if self._cached_resolver is None:
            self.clear()
        return self._cached_resolver

    @_resolver.setter
    def _resolver(self, value):
        self._cached_resolver = value

    def clear(self):
        """Replace the Resolver by a freshly configured one."""
        if self._filename is None:
            resolver = dns.resolver.Resolver(configure=False)
        else:
            resolver = dns.resolver.Resolver(filename=self._filename)
        resolver.cache = dns.resolver.LRUCache()
        self._cached_resolver = resolver

    def query(self, qname, rdtype=dns.rdatatype.A, rdclass=dns.rdataclass.IN, tcp=False,
              source=None, raise_on_no_answer=True, _hosts_rdtypes=(dns.rdatatype.A,
                                                                   dns.rdatatype.AAAA),
              use_network=True):
        """An Answer for ``qname``: from the hosts file if it has one, else from DNS (unless
        ``use_network`` is False, then NoAnswer)."""
        if isinstance(qname, (str, bytes)):
            qname = dns.name.from_text(_text(qname))
        if self._hosts is not None and rdtype in _hosts_rdtypes:
            try:
                answer = self._hosts.query(qname, rdtype, raise_on_no_answer=False)
            except dns.resolver.NoAnswer:
                answer = None
            if answer is not None and answer.rrset:
                return answer
        if not use_network:
            if raise_on_no_answer:
                raise dns.resolver.NoAnswer()
            return HostsAnswer(qname, rdtype, rdclass, None, False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # dnspython 2 renamed query
            return self._resolver.query(qname, rdtype, rdclass, tcp, source,
                                        raise_on_no_answer=raise_on_no_answer)

    def getaliases(self, hostname):
        """Aliases of ``hostname``: from the hosts file, plus the CNAME chain DNS gives."""
        aliases = list(self._hosts.getaliases(hostname)) if self._hosts is not None else []
        name = hostname
        while True:
            try:
                answer = self._resolver.query(name, dns.rdatatype.CNAME)
            except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
                return aliases
            except dns.exception.DNSException:
                return aliases
            targets = [_text(rr.target) for rr in answer]
            if not targets:
                return aliases
            aliases.extend(targets)
            name = targets[0]


#: The resolver resolve() asks unless given another (``_proxy``).
resolver = ResolverProxy(hosts_resolver=HostsResolver())


def resolve(name, family=_stdsocket.AF_INET, raises=True, _proxy=None, use_network=True):
    """The A (AF_INET) or AAAA (AF_INET6) answer for ``name``. With ``raises=False`` a name with no
    such record gives an empty answer instead of socket.gaierror."""
    if family == _stdsocket.AF_INET:
        rdtype = dns.rdatatype.A
    elif family == _stdsocket.AF_INET6:
        rdtype = dns.rdatatype.AAAA
    else:
        raise _stdsocket.gaierror(_stdsocket.EAI_FAMILY, "Address family not supported")
    proxy = resolver if _proxy is None else _proxy
    try:
        try:
            if use_network:
                return proxy.query(name, rdtype, raise_on_no_answer=raises)
            return proxy.query(name, rdtype, raise_on_no_answer=raises, use_network=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            if raises:
                raise
            qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(_text(name))
            return HostsAnswer(qname, rdtype, dns.rdataclass.IN, None, False)
    except dns.exception.Timeout:
        _raise_new_error(EAI_EAGAIN_ERROR)
    except dns.resolver.NXDOMAIN:
        _raise_new_error(EAI_NONAME_ERROR)
    except dns.exception.DNSException:
        _raise_new_error(EAI_NODATA_ERROR)


def resolve_cname(host):
    """The canonical name of ``host`` (``host`` itself if it has no CNAME)."""
    try:
        answer = resolver.query(host, dns.rdatatype.CNAME)
    except dns.resolver.NoAnswer:
        return host
    except dns.exception.Timeout:
        _raise_new_error(EAI_EAGAIN_ERROR)
    except dns.exception.DNSException:
        _raise_new_error(EAI_NODATA_ERROR)
    return _text(answer[0].target)


def getaliases(host):
    """The aliases of ``host`` (hosts file and CNAME chain)."""
    return resolver.getaliases(host)


def _addresses(host, family, flags):
    # [(family, address)] for ``host``: the hosts file alone first, then with the network.
    v4mapped = family == _stdsocket.AF_INET6 and flags & _stdsocket.AI_V4MAPPED
    if family == _stdsocket.AF_UNSPEC or v4mapped:
        families = (_stdsocket.AF_INET6, _stdsocket.AF_INET)
    else:
        families = (family,)
    error = None
    for use_network in (False, True):
        found = []
        for fam in families:
            if v4mapped and fam == _stdsocket.AF_INET and found and not flags & _stdsocket.AI_ALL:
                break
            try:
                answer = resolve(host, fam, False, use_network=use_network)
            except _stdsocket.gaierror as e:
                error = e
                continue
            for rr in answer:
                if v4mapped and fam == _stdsocket.AF_INET:
                    found.append((_stdsocket.AF_INET6, "::ffff:" + rr.address))
                else:
                    found.append((fam, rr.address))
        if found:
            return found
    if error is not None:
        _raise_new_error(error)
    _raise_new_error(EAI_NONAME_ERROR)


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """socket.getaddrinfo() with names resolved by this module (green)."""
    if isinstance(host, bytes):
        host = host.decode("ascii")
    if isinstance(port, bytes):
        port = port.decode("ascii")
    if host is None or is_ip_addr(host):
        return socket.getaddrinfo(host, port, family, type, proto, flags)
    if flags & _stdsocket.AI_NUMERICHOST:
        _raise_new_error(EAI_NONAME_ERROR)
    if flags & getattr(_stdsocket, "AI_NUMERICSERV", 0) and port is not None:
        try:
            int(port)
        except (TypeError, ValueError):
            _raise_new_error(EAI_NONAME_ERROR)
    try:
        qname = host.encode("idna").decode("ascii")
    except UnicodeError:
        qname = host
    results, error = [], None
    for fam, addr in _addresses(qname, family, flags):
        try:
            results.extend(socket.getaddrinfo(addr, port, fam, type, proto,
                                              flags | _stdsocket.AI_NUMERICHOST))
        except OSError as e:
            error = e  # e.g. AI_ADDRCONFIG and no address of that family configured
    if not results:
        if error is not None:
            raise error
        _raise_new_error(EAI_NONAME_ERROR)
    if flags & _stdsocket.AI_CANONNAME:
        first = results[0]
        results[0] = first[:3] + (resolve_cname(qname),) + first[4:]
    return results


def gethostbyname(hostname):
    """The first IPv4 address of ``hostname``."""
    if is_ipv4_addr(hostname):
        return hostname
    return resolve(hostname)[0].address


def gethostbyname_ex(hostname):
    """(name, aliases, IPv4 addresses) of ``hostname``."""
    if is_ipv4_addr(hostname):
        return hostname, [], [hostname]
    answer = resolve(hostname)
    aliases = getaliases(hostname)
    return _text(answer.qname), aliases, [rr.address for rr in answer]


def gethostbyaddr(address):
    """(name, aliases, addresses) for ``address``, by its PTR record."""
    try:
        answer = resolver.query(dns.reversename.from_address(address), dns.rdatatype.PTR)
    except dns.exception.Timeout:
        _raise_new_error(EAI_EAGAIN_ERROR)
    except dns.exception.DNSException:
        raise _stdsocket.herror(1, "Unknown host") from None
    return _text(answer[0].target), [], [address]


def getnameinfo(sockaddr, flags):
    """socket.getnameinfo() (numeric forms computed here; names through the PTR record)."""
    host, port = sockaddr[0], sockaddr[1]
    if not is_ip_addr(host):
        host = gethostbyname(host)
    if flags & _stdsocket.NI_NUMERICHOST:
        name = host
    else:
        try:
            name = gethostbyaddr(host)[0]
        except (_stdsocket.herror, _stdsocket.gaierror):
            if flags & _stdsocket.NI_NAMEREQD:
                raise _stdsocket.gaierror(_stdsocket.EAI_NONAME, "Name or service not known")
            name = host
    if flags & _stdsocket.NI_NUMERICSERV:
        serv = str(port)
    else:
        try:
            serv = _stdsocket.getservbyport(port, "udp" if flags & _stdsocket.NI_DGRAM else "tcp")
        except OSError:
            serv = str(port)
    return name, serv


def udp(q, where, timeout=DNS_QUERY_TIMEOUT, port=53, af=None, source=None, source_port=0,
        ignore_unexpected=False, one_rr_per_rrset=False, ignore_trailing=False):
    """Send the DNS message ``q`` to ``where`` over UDP and return the reply (green).
    dns.exception.Timeout after ``timeout``; dns.query.UnexpectedSource for a reply from elsewhere
    (waited past with ``ignore_unexpected``)."""
    if af is None:
        af = _stdsocket.AF_INET6 if is_ipv6_addr(where) else _stdsocket.AF_INET
    destination = (where, port) if af == _stdsocket.AF_INET else (where, port, 0, 0)
    wanted = dns.inet.inet_pton(af, where)
    s = socket.socket(af, _stdsocket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        if source is not None or source_port:
            s.bind((source or ("0.0.0.0" if af == _stdsocket.AF_INET else "::"), source_port))
        s.sendto(q.to_wire(), destination)
        while True:
            try:
                wire, sender = s.recvfrom(65535)
            except _stdsocket.timeout:
                raise dns.exception.Timeout() from None
            if dns.inet.inet_pton(af, sender[0].split("%", 1)[0]) == wanted and sender[1] == port:
                break
            if not ignore_unexpected:
                raise dns.query.UnexpectedSource(f"got a response from {sender} instead of "
                                                 f"{destination}")
    finally:
        s.close()
    reply = dns.message.from_wire(wire, keyring=q.keyring, request_mac=q.mac,
                                  one_rr_per_rrset=one_rr_per_rrset,
                                  ignore_trailing=ignore_trailing)
    if not q.is_response(reply):
        raise dns.query.BadResponse()
    return reply


def tcp(q, where, timeout=DNS_QUERY_TIMEOUT, port=53, af=None, source=None, source_port=0,
        one_rr_per_rrset=False, ignore_trailing=False):
    """Send the DNS message ``q`` to ``where`` over TCP and return the reply (green)."""
    if af is None:
        af = _stdsocket.AF_INET6 if is_ipv6_addr(where) else _stdsocket.AF_INET
    destination = (where, port) if af == _stdsocket.AF_INET else (where, port, 0, 0)
    s = socket.socket(af, _stdsocket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        if source is not None or source_port:
            s.bind((source or ("0.0.0.0" if af == _stdsocket.AF_INET else "::"), source_port))
        try:
            s.connect(destination)
            wire = q.to_wire()
            s.sendall(len(wire).to_bytes(2, "big") + wire)
            size = int.from_bytes(_recv_exactly(s, 2), "big")
            data = _recv_exactly(s, size)
        except _stdsocket.timeout:
            raise dns.exception.Timeout() from None
    finally:
        s.close()
    reply = dns.message.from_wire(data, keyring=q.keyring, request_mac=q.mac,
                                  one_rr_per_rrset=one_rr_per_rrset,
                                  ignore_trailing=ignore_trailing)
    if not q.is_response(reply):
        raise dns.query.BadResponse()
    return reply


def _recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("the DNS server closed the connection")
        data += chunk
    return data
