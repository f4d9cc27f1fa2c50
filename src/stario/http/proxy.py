"""Proxy trust: the client address and scheme from forwarding headers, opt-in.

Off by default: ``Request.scheme`` is ``"http"`` and ``Request.client`` is the
direct peer, whatever headers say. With ``--forwarded-allow-ips`` listing the
proxies in front of stario, a request whose direct peer is one of them gets its
``scheme`` and ``client`` (and ``client_port``) from ``X-Forwarded-Proto`` /
``X-Forwarded-For`` or, when neither is present, from RFC 7239 ``Forwarded``.
Nothing else (``host``, ``path``) is ever rewritten.

The client is the right-most address in the chain that is not a trusted proxy:
every proxy appends the peer it saw, so entries to the left of the first
untrusted one were written by that untrusted party and prove nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final, TypeAlias

if TYPE_CHECKING:
    from stario.request import Request

__all__ = ["ProxyTrust", "trust_for"]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

_ACCEPTED = "IP addresses, CIDR networks, * or unix, separated by commas"
_SCHEMES: Final = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class _Hop:
    """One entry of a forwarding chain: an address as written, its port, its proto."""

    node: str | None
    port: int | None
    ip: IPAddress | None
    proto: str | None


class ProxyTrust:
    """The proxies whose forwarding headers stario believes.

    Built from a spec such as ``"127.0.0.1, 10.0.0.0/8, unix"``: IP addresses,
    CIDR networks, ``*`` (every peer) and ``unix`` (peers on a Unix socket).
    `apply` rewrites ``scheme``, ``client`` and ``client_port`` of a request whose
    direct peer is trusted; any other request is left as it arrived.
    """

    __slots__ = ("_any", "_networks", "_unix", "spec")

    def __init__(self, networks: tuple[IPNetwork, ...], *, unix: bool, any_peer: bool) -> None:
        self._networks = networks
        self._unix = unix
        self._any = any_peer
        self.spec = ", ".join(
            [*(["*"] if any_peer else []), *(["unix"] if unix else []), *map(str, networks)]
        )

    @classmethod
    def parse(cls, spec: str) -> ProxyTrust:
        """Parse a comma-separated spec; raise ``ValueError("must be ...")`` on a bad entry."""
        networks: list[IPNetwork] = []
        unix = any_peer = False
        for raw in spec.split(","):
            entry = raw.strip()
            if entry == "*":
                any_peer = True
            elif entry.lower() == "unix":
                unix = True
            else:
                networks.append(_network(entry))
        return cls(tuple(networks), unix=unix, any_peer=any_peer)

    def __repr__(self) -> str:
        return f"ProxyTrust({self.spec!r})"

    # --- trust decisions ------------------------------------------------------------------

    def trusts_peer(self, client: str, client_port: int | None) -> bool:
        """Whether the direct peer may speak for the client (no port: a Unix socket)."""
        if self._any:
            return True
        if client_port is None:
            return self._unix
        return self._trusts_ip(_ip(client))

    def _trusts_ip(self, ip: IPAddress | None) -> bool:
        if ip is None:
            return False
        if self._any:
            return True
        return any(ip in net for net in self._networks)

    # --- applying -------------------------------------------------------------------------

    def apply(self, request: Request) -> None:
        """Take ``scheme``/``client``/``client_port`` from the headers of a trusted peer."""
        if not self.trusts_peer(request.client, request.client_port):
            return
        headers = request.headers
        xff = headers.getlist("x-forwarded-for")
        xfp = headers.getlist("x-forwarded-proto")
        if xff or xfp:
            hops, fallback = _x_forwarded(xff, xfp)
        else:
            hops, fallback = _forwarded(headers.getlist("forwarded")), None
        hop = self._client_hop(hops)
        if hop is not None and hop.node is not None:
            request.client = hop.node
            request.client_port = hop.port
        proto = hop.proto if hop is not None and hop.proto is not None else fallback
        if proto in _SCHEMES:
            request.scheme = proto

    def _client_hop(self, hops: list[_Hop]) -> _Hop | None:
        # Walk from the nearest proxy outwards; the first untrusted address is the client.
        for hop in reversed(hops):
            if hop.node is None or not self._trusts_ip(hop.ip):
                return hop
        return hops[0] if hops else None  # every hop is a trusted proxy


@lru_cache(maxsize=16)
def trust_for(spec: str | None) -> ProxyTrust | None:
    """The parsed `ProxyTrust` for ``spec`` (cached), or ``None`` when trust is off."""
    if spec is None or not spec.strip():
        return None
    return ProxyTrust.parse(spec)


# --- parsing entries -----------------------------------------------------------------------


def _network(entry: str) -> IPNetwork:
    if not entry:
        raise ValueError(f"must be {_ACCEPTED}; found an empty entry")
    text = entry[1:-1] if entry.startswith("[") and entry.endswith("]") else entry
    try:
        return ipaddress.ip_network(text)
    except ValueError as exc:
        detail = "has host bits set" if "host bits" in str(exc) else "is none of these"
        raise ValueError(f"must be {_ACCEPTED}; {entry!r} {detail}") from None


def _ip(text: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _node(text: str) -> tuple[str | None, int | None, IPAddress | None]:
    """Split ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``::1`` or ``unknown``."""
    value = text.strip().strip('"').strip()
    if not value:
        return None, None, None
    host, port = value, None
    if value.startswith("["):
        end = value.find("]")
        host, rest = (value[1:end], value[end + 1 :]) if end > 0 else (value, "")
        port = _port(rest[1:]) if rest.startswith(":") else None
    elif value.count(":") == 1:
        host, _, tail = value.partition(":")
        port = _port(tail)
    ip = _ip(host)
    return (str(ip) if ip is not None else host), port, ip


def _port(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 5 and int(text) <= 65535 else None


def _csv(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


# --- the two header families ---------------------------------------------------------------


def _x_forwarded(xff: list[str], xfp: list[str]) -> tuple[list[_Hop], str | None]:
    """Hops from X-Forwarded-For; protos attach by position when the counts agree."""
    nodes = _csv(xff)
    protos = [p.lower() for p in _csv(xfp)]
    paired = len(protos) == len(nodes)
    hops = [_Hop(*_node(node), proto=protos[i] if paired else None) for i, node in enumerate(nodes)]
    # Otherwise the right-most proto is the statement of the nearest (trusted) proxy.
    fallback = None if paired or not protos else protos[-1]
    return hops, fallback


def _forwarded(values: list[str]) -> list[_Hop]:
    """Hops from RFC 7239 ``Forwarded`` elements (``for=...;proto=...``, comma-separated)."""
    hops: list[_Hop] = []
    for element in _split_quoted(",".join(values), ","):
        pairs: dict[str, str] = {}
        for pair in _split_quoted(element, ";"):
            key, eq, value = pair.partition("=")
            if eq:
                pairs.setdefault(key.strip().lower(), _unquote(value.strip()))
        node = pairs.get("for")
        parsed = _node(node) if node is not None else (None, None, None)
        proto = pairs.get("proto")
        hops.append(_Hop(*parsed, proto=proto.lower() if proto else None))
    return hops


def _split_quoted(text: str, sep: str) -> list[str]:
    # RFC 7239 §4: values may be quoted-strings, which can contain the separators.
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        escaped = False
        for ch in inner:
            if escaped or ch != "\\":
                out.append(ch)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value
