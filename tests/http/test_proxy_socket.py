"""Proxy trust over a real socket: spoofed forwarding headers from an untrusted peer are
ignored; a trusted peer's are used. Every wait is bounded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from stario import App, Context, Server, ServerConfig, Writer, responses
from stario.telemetry import NoopTracer
from tests.http.httpkit import parse_all

BOUND = 10.0  # seconds; a generous upper bound for any single wait

SPOOFED = (
    b"X-Forwarded-For: 203.0.113.9\r\n"
    b"X-Forwarded-Proto: https\r\n"
    b"Forwarded: for=198.51.100.1;proto=https\r\n"
)


def _quiet(_: str) -> None:
    pass


async def whoami(c: Context, w: Writer) -> None:
    responses.json(w, {"scheme": c.req.scheme, "client": c.req.client, "host": c.req.host})


@asynccontextmanager
async def serving(**config: Any) -> AsyncIterator[Server]:
    app = App()
    app.get("/who", whoami)
    config.setdefault("port", 0)
    server = Server(
        app, NoopTracer(), ServerConfig(graceful_timeout=1.0, **config), announce=_quiet
    )
    task = asyncio.ensure_future(server.serve())
    try:
        await asyncio.wait_for(server.started(), BOUND)
        yield server
    finally:
        server.shutdown()
        await asyncio.wait_for(task, BOUND)


async def ask(server: Server, extra: bytes) -> dict[str, Any]:
    """Send GET /who with `extra` header lines over a fresh connection; the JSON answer."""
    if server.config.unix_socket:
        opening = asyncio.open_unix_connection(server.config.unix_socket)
    else:
        opening = asyncio.open_connection("127.0.0.1", server.port)
    reader, writer = await asyncio.wait_for(opening, BOUND)
    try:
        writer.write(b"GET /who HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n" + extra)
        writer.write(b"\r\n")
        data = await asyncio.wait_for(reader.read(), BOUND)
    finally:
        writer.close()
    [response] = parse_all(data)
    assert response.status == 200
    result: dict[str, Any] = json.loads(response.body)
    return result


async def test_untrusted_peer_cannot_spoof_scheme_or_client() -> None:
    async with serving(forwarded_allow_ips="10.0.0.0/8") as server:
        got = await ask(server, SPOOFED)
    assert got == {"scheme": "http", "client": "127.0.0.1", "host": "app.example"}


async def test_without_trust_the_headers_change_nothing() -> None:
    async with serving() as server:
        got = await ask(server, SPOOFED)
    assert got == {"scheme": "http", "client": "127.0.0.1", "host": "app.example"}


async def test_a_trusted_tcp_peer_sets_scheme_and_client() -> None:
    async with serving(forwarded_allow_ips="127.0.0.1") as server:
        got = await ask(server, SPOOFED)
    assert got == {"scheme": "https", "client": "203.0.113.9", "host": "app.example"}


async def test_unix_trusts_peers_on_the_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    async with serving(unix_socket=path, forwarded_allow_ips="unix") as server:
        got = await ask(server, SPOOFED)
    assert got == {"scheme": "https", "client": "203.0.113.9", "host": "app.example"}


async def test_an_ip_list_does_not_trust_the_unix_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    async with serving(unix_socket=path, forwarded_allow_ips="127.0.0.1") as server:
        got = await ask(server, SPOOFED)
    assert got["scheme"] == "http"
    assert got["client"] == path
