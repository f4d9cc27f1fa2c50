"""Driving an App over one in-memory connection with raw request bytes."""

from __future__ import annotations

from typing import Any

from stario import App, ServerConfig
from stario.http.connection import Connection
from stario.http.registry import ConnectionRegistry
from stario.telemetry import NoopTracer
from stario.testing import MemoryTransport
from tests.http.httpkit import Response, read_responses


def open_app(
    app: App, registry: ConnectionRegistry | None = None, **config: Any
) -> tuple[Connection, MemoryTransport]:
    """A production ``Connection`` for ``app`` over a ``MemoryTransport``."""
    app.freeze()
    conn = Connection(app.dispatch, ServerConfig(**config), NoopTracer(), registry)
    return conn, MemoryTransport(conn)


def request(method: str, path: str, accept: str | None = None, version: str = "1.1") -> bytes:
    """A request head with an optional ``Accept-Encoding``."""
    lines = [f"{method} {path} HTTP/{version}", "Host: test"]
    if accept is not None:
        lines.append(f"Accept-Encoding: {accept}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def exchange(
    transport: MemoryTransport, data: bytes, count: int, heads: tuple[bool, ...] = ()
) -> list[Response]:
    """Send ``data`` and read ``count`` responses."""
    transport.feed(data)
    responses, _ = await read_responses(transport, count, heads)
    assert len(responses) == count, responses
    return responses


def without_date(response: Response) -> list[tuple[str, str]]:
    """The response's headers, lower-cased, minus ``date``."""
    return [(k.lower(), v) for k, v in response.headers if k.lower() != "date"]
