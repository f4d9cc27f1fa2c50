"""Proxy trust (``forwarded_allow_ips``): scheme and client from forwarding headers, opt-in.

Requests go through the real connection code with `TestClient`; ``client=`` sets the
direct peer the server sees (a tuple for TCP, a string for a Unix socket).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stario import App, Context, ServerConfig, Writer, responses
from stario.config import ConfigError
from stario.http.proxy import ProxyTrust, trust_for
from stario.testing import TestClient

Peer = tuple[str, int] | str
Headers = Sequence[tuple[str, str]]


async def whoami(c: Context, w: Writer) -> None:
    req = c.req
    responses.json(
        w,
        {
            "scheme": req.scheme,
            "client": req.client,
            "port": req.client_port,
            "host": req.host,
            "path": req.path,
        },
    )


def make_app() -> App:
    app = App()
    app.get("/who", whoami)
    return app


async def seen(trust: str | None, peer: Peer, headers: Headers) -> dict[str, Any]:
    """What the handler sees for one request from `peer` with `headers`."""
    config = ServerConfig(forwarded_allow_ips=trust)
    async with TestClient(make_app(), config=config, client=peer) as client:
        response = await client.get("/who", headers=list(headers))
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


SPOOF = [
    ("X-Forwarded-For", "203.0.113.9"),
    ("X-Forwarded-Proto", "https"),
    ("Forwarded", "for=198.51.100.1;proto=https"),
    ("X-Forwarded-Host", "evil.example"),
]


# --- off by default, and for untrusted peers -------------------------------------------------


async def test_trust_is_off_by_default() -> None:
    got = await seen(None, ("10.0.0.2", 5000), SPOOF)
    assert got["scheme"] == "http"
    assert got["client"] == "10.0.0.2"
    assert got["port"] == 5000
    assert got["host"] == "testserver"


@pytest.mark.parametrize(
    ("trust", "peer"),
    [
        ("10.0.0.1", ("10.0.0.2", 5000)),
        ("10.0.0.0/24", ("10.0.1.1", 5000)),
        ("unix", ("127.0.0.1", 5000)),
        ("127.0.0.1", "/run/stario/app.sock"),
        ("::1", ("127.0.0.1", 5000)),
    ],
)
async def test_spoofed_headers_from_an_untrusted_peer_are_ignored(trust: str, peer: Peer) -> None:
    got = await seen(trust, peer, SPOOF)
    assert got["scheme"] == "http"
    assert got["client"] == (peer[0] if isinstance(peer, tuple) else peer)


# --- trusted peers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trust", "peer"),
    [
        ("10.0.0.1", ("10.0.0.1", 5000)),
        ("10.0.0.0/8", ("10.20.30.40", 5000)),
        ("192.0.2.1, 10.0.0.0/8", ("10.0.0.7", 5000)),
        ("*", ("198.18.0.1", 5000)),
        ("unix", "/run/stario/app.sock"),
        ("UNIX", "/run/stario/app.sock"),
        ("::1", ("::1", 5000)),
        ("127.0.0.1", ("::ffff:127.0.0.1", 5000)),
    ],
)
async def test_a_trusted_peer_sets_scheme_and_client(trust: str, peer: Peer) -> None:
    got = await seen(
        trust, peer, [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https")]
    )
    assert got["scheme"] == "https"
    assert got["client"] == "203.0.113.9"
    assert got["port"] is None


async def test_only_scheme_and_client_change() -> None:
    got = await seen("10.0.0.1", ("10.0.0.1", 5000), SPOOF)
    assert got["host"] == "testserver"  # X-Forwarded-Host never rewrites the host
    assert got["path"] == "/who"


@pytest.mark.parametrize(
    ("xff", "client"),
    [
        # The right-most address that is not a trusted proxy is the client.
        ("203.0.113.9", "203.0.113.9"),
        ("203.0.113.9, 10.0.0.5", "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9, 10.0.0.5", "203.0.113.9"),  # 6.6.6.6: written by the client
        ("6.6.6.6,203.0.113.9", "203.0.113.9"),
        # Every hop trusted: the left-most is as far as the chain goes.
        ("10.0.0.9, 10.0.0.5", "10.0.0.9"),
        # Ports and brackets are stripped; IPv6 is normalised.
        ("203.0.113.9:4711", "203.0.113.9"),
        ("[2001:DB8::1]:443", "2001:db8::1"),
        ("2001:db8:0::1", "2001:db8::1"),
        # A token that is not an address is what the proxy said; it is reported as is.
        ("unknown", "unknown"),
    ],
)
async def test_x_forwarded_for_walks_from_the_right(xff: str, client: str) -> None:
    got = await seen("10.0.0.0/8", ("10.0.0.1", 5000), [("X-Forwarded-For", xff)])
    assert got["client"] == client
    assert got["scheme"] == "http"  # no X-Forwarded-Proto


async def test_repeated_x_forwarded_for_headers_form_one_chain() -> None:
    headers = [("X-Forwarded-For", "6.6.6.6, 203.0.113.9"), ("X-Forwarded-For", "10.0.0.5")]
    got = await seen("10.0.0.0/8", ("10.0.0.1", 5000), headers)
    assert got["client"] == "203.0.113.9"


async def test_a_port_in_x_forwarded_for_becomes_the_client_port() -> None:
    got = await seen("10.0.0.1", ("10.0.0.1", 5000), [("X-Forwarded-For", "203.0.113.9:4711")])
    assert (got["client"], got["port"]) == ("203.0.113.9", 4711)


@pytest.mark.parametrize(
    ("xff", "xfp", "scheme"),
    [
        ("203.0.113.9", "https", "https"),
        ("203.0.113.9", "HTTPS", "https"),
        ("203.0.113.9", "http", "http"),
        ("203.0.113.9", "ftp", "http"),  # not a scheme stario serves: ignored
        # One proto per hop: the client's hop decides.
        ("203.0.113.9, 10.0.0.5", "https, http", "https"),
        ("6.6.6.6, 203.0.113.9", "http, https", "https"),
        # Counts differ: the nearest proxy's (right-most) statement counts.
        ("6.6.6.6, 203.0.113.9", "http, ftp, https", "https"),
        (None, "https", "https"),
    ],
)
async def test_x_forwarded_proto(xff: str | None, xfp: str, scheme: str) -> None:
    headers = [("X-Forwarded-Proto", xfp)]
    if xff is not None:
        headers.append(("X-Forwarded-For", xff))
    got = await seen("10.0.0.0/8", ("10.0.0.1", 5000), headers)
    assert got["scheme"] == scheme


@pytest.mark.parametrize(
    ("forwarded", "client", "port", "scheme"),
    [
        ("for=203.0.113.9;proto=https", "203.0.113.9", None, "https"),
        ("For=203.0.113.9;Proto=HTTPS;by=10.0.0.1", "203.0.113.9", None, "https"),
        ('for="[2001:db8:cafe::17]:4711";proto=https', "2001:db8:cafe::17", 4711, "https"),
        ("for=6.6.6.6;proto=http, for=203.0.113.9;proto=https", "203.0.113.9", None, "https"),
        ("for=203.0.113.9;proto=https, for=10.0.0.5", "203.0.113.9", None, "https"),
        ('for="_hidden";proto=https', "_hidden", None, "https"),
        ("proto=https", "10.0.0.1", 5000, "https"),  # no `for`: the peer stays the client
        ('for="203.0.113.9";host="a,b;c";proto=https', "203.0.113.9", None, "https"),
    ],
)
async def test_rfc7239_forwarded(
    forwarded: str, client: str, port: int | None, scheme: str
) -> None:
    got = await seen("10.0.0.0/8", ("10.0.0.1", 5000), [("Forwarded", forwarded)])
    assert (got["client"], got["port"], got["scheme"]) == (client, port, scheme)


async def test_x_forwarded_headers_win_over_forwarded() -> None:
    # A proxy that sets X-Forwarded-* may pass a client's Forwarded header through untouched.
    headers = [
        ("Forwarded", "for=6.6.6.6;proto=https"),
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-Proto", "http"),
    ]
    got = await seen("10.0.0.1", ("10.0.0.1", 5000), headers)
    assert (got["client"], got["scheme"]) == ("203.0.113.9", "http")


async def test_every_request_on_a_connection_is_judged_alone() -> None:
    config = ServerConfig(forwarded_allow_ips="10.0.0.1")
    async with TestClient(make_app(), config=config, client=("10.0.0.1", 5000)) as client:
        first = await client.get("/who", headers={"X-Forwarded-For": "203.0.113.1"})
        second = await client.get("/who")
    assert first.json()["client"] == "203.0.113.1"
    assert second.json()["client"] == "10.0.0.1"


async def test_the_request_span_records_the_forwarded_client() -> None:
    config = ServerConfig(forwarded_allow_ips="10.0.0.1")
    async with TestClient(make_app(), config=config, client=("10.0.0.1", 5000)) as client:
        await client.get("/who", headers={"X-Forwarded-For": "203.0.113.1"})
    [span] = [s for s in client.tracer.spans if s.name == "GET"]
    assert span.attributes["client.address"] == "203.0.113.1"


# --- the spec --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    ["10.0.0.1/8", "foo", "10.0.0.1,,10.0.0.2", "300.1.1.1", "10.0.0.0/33", "unix:/x", ","],
)
def test_a_bad_spec_is_a_config_error_naming_the_field(spec: str) -> None:
    with pytest.raises(ConfigError) as info:
        ServerConfig(forwarded_allow_ips=spec)
    assert info.value.option == "forwarded_allow_ips"
    assert "IP addresses, CIDR networks, * or unix" in str(info.value)


@pytest.mark.parametrize("spec", [None, "", "   "])
def test_an_empty_spec_means_no_trust(spec: str | None) -> None:
    assert trust_for(spec) is None


def test_the_spec_is_normalised() -> None:
    trust = ProxyTrust.parse(" 10.0.0.0/8 ,unix, [::1], * ")
    assert trust.spec == "*, unix, 10.0.0.0/8, ::1/128"


# --- properties ------------------------------------------------------------------------------

_PUBLIC = st.ip_addresses(v=4).filter(lambda ip: not ip.is_private and not ip.is_loopback)
_PROXIES = st.lists(st.ip_addresses(v=4, network="10.0.0.0/8"), max_size=4)
# Anything a client could type into the header (printable ASCII, no list separator).
_TOKENS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=","))


@settings(max_examples=40, deadline=None)
@given(
    forged=st.lists(st.one_of(_PUBLIC.map(str), _TOKENS), max_size=4),
    client=_PUBLIC,
    proxies=_PROXIES,
)
async def test_nothing_left_of_the_client_matters(
    forged: list[str], client: ipaddress.IPv4Address, proxies: list[ipaddress.IPv4Address]
) -> None:
    # Whatever the client wrote in front, the chain appended by trusted proxies decides.
    xff = ", ".join([*forged, str(client), *map(str, proxies)])
    got = await seen("10.0.0.0/8", ("10.0.0.1", 5000), [("X-Forwarded-For", xff)])
    assert got["client"] == str(client)
