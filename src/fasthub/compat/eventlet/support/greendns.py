"""``eventlet.support.greendns``: the green resolver functions are fasthub's (``fasthub.green.socket``
getaddrinfo, gethostbyname, gethostbyname_ex, getnameinfo, gethostbyaddr, resolved in the OS-thread
pool or through dnspython with FASTHUB_RESOLVER=dnspython), plus eventlet's address helpers.
eventlet's resolver classes (HostsResolver, ResolverProxy) are not provided."""

import ipaddress

from fasthub.green.socket import (gethostbyaddr, gethostbyname, gethostbyname_ex, getaddrinfo,
                                  getnameinfo)

__all__ = ["getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo",
           "is_ipv4_addr", "is_ipv6_addr", "is_ip_addr"]

try:
    import dns  # noqa: F401  (eventlet exposes dnspython here)
except ImportError:
    dns = None


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
    host = host.split("%", 1)[0]
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def is_ip_addr(host):
    """True if ``host`` is an IPv4 or IPv6 address literal."""
    return is_ipv4_addr(host) or is_ipv6_addr(host)
