"""Shared helpers for the HTTP tests: event normalisation and a small response reader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from stario.app import App
from stario.config import ServerConfig
from stario.errors import HttpException
from stario.http.parser import END, Event, Reject, RequestHead
from stario.request import Request
from stario.server import Server
from stario.telemetry import NoopTracer, Span, Tracer
from stario.testing.transport import MemoryTransport
from stario.writer import Writer

# One normalised parser event: ("head", ...), ("body", bytes), ("end",) or ("reject", status).
Norm = tuple[object, ...]

# The valid request appended to every parser script in "pipelined" mode.
SECOND = b"GET /second HTTP/1.1\r\nHost: second.example\r\n\r\n"


def head_norm(
    method: str = "GET",
    target: bytes = b"/",
    version: str = "1.1",
    *,
    keep_alive: bool = True,
    content_length: int | None = None,
    chunked: bool = False,
    expect: bool = False,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Norm:
    """The normalised form of a ``RequestHead`` (headers compared only when given)."""
    return ("head", method, target, version, keep_alive, content_length, chunked, expect, headers)


SECOND_EVENTS: list[Norm] = [
    head_norm(target=b"/second", headers=[(b"Host", b"second.example")]),
    ("end",),
]


def normalise(events: list[Event], *, with_headers: bool) -> list[Norm]:
    """Turn events into comparable tuples, merging adjacent body pieces."""
    out: list[Norm] = []
    for event in events:
        if isinstance(event, RequestHead):
            out.append(
                (
                    "head",
                    event.method,
                    event.target,
                    event.version,
                    event.keep_alive,
                    event.content_length,
                    event.chunked,
                    event.expect_continue,
                    list(event.headers) if with_headers else None,
                )
            )
        elif isinstance(event, bytes):
            if out and out[-1][0] == "body":
                out[-1] = ("body", out[-1][1] + event)  # type: ignore[operator]
            else:
                out.append(("body", event))
        elif event is END:
            out.append(("end",))
        else:
            assert isinstance(event, Reject)
            out.append(("reject", event.status))
    return out


# --- responses ------------------------------------------------------------------------


@dataclass
class Response:
    """One parsed HTTP response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    complete: bool = True
    raw_head: bytes = b""
    extra: dict[str, object] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first value of ``name`` (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_names(self) -> set[str]:
        """Lower-cased names of every header."""
        return {key.lower() for key, _ in self.headers}


def _parse_head(data: bytes, end: int) -> tuple[int, list[tuple[str, str]]]:
    lines = data[:end].decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    assert version == "HTTP/1.1", lines[0]
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    return int(status), headers


def _parse_chunked(data: bytes, pos: int) -> tuple[bytes, int] | None:
    body = b""
    while True:
        line_end = data.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(data[pos:line_end].split(b";")[0], 16)
        pos = line_end + 2
        if size == 0:
            if data[pos : pos + 2] != b"\r\n":
                return None
            return body, pos + 2
        if len(data) < pos + size + 2:
            return None
        body += data[pos : pos + size]
        pos += size + 2


def parse_one(
    data: bytes, *, head_request: bool = False, eof: bool = False
) -> tuple[Response, int] | None:
    """Parse the first response in ``data``; None if it is not complete yet.

    With ``eof`` a response that cannot complete is returned with ``complete=False``.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    status, headers = _parse_head(data, end)
    resp = Response(status, headers, raw_head=data[: end + 4])
    pos = end + 4
    length = resp.header("content-length")
    if head_request or status in (204, 304) or 100 <= status < 200:
        return resp, pos
    if (resp.header("transfer-encoding") or "").lower() == "chunked":
        parsed = _parse_chunked(data, pos)
        if parsed is None:
            if not eof:
                return None
            resp.body, resp.complete = data[pos:], False
            return resp, len(data)
        resp.body, pos = parsed
        return resp, pos
    if length is not None:
        if len(data) < pos + int(length):
            if not eof:
                return None
            resp.body, resp.complete = data[pos:], False
            return resp, len(data)
        resp.body = data[pos : pos + int(length)]
        return resp, pos + int(length)
    if not eof:
        return None  # close-delimited
    resp.body = data[pos:]
    return resp, len(data)


def parse_all(data: bytes, heads: tuple[bool, ...] = (), *, eof: bool = True) -> list[Response]:
    """Every response in ``data``; ``heads[i]`` says response i answers a HEAD request."""
    out: list[Response] = []
    while data:
        is_head = heads[len(out)] if len(out) < len(heads) else False
        parsed = parse_one(data, head_request=is_head, eof=eof)
        if parsed is None:
            break
        resp, used = parsed
        out.append(resp)
        data = data[used:]
    return out


# --- dispatch helpers -----------------------------------------------------------------

Dispatch = Callable[[Request, Writer, Span], Awaitable[None]]


def app_like(handler: Dispatch) -> Dispatch:
    """Wrap a raw handler so ``HttpException`` becomes its response, as the App does."""

    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        try:
            await handler(req, w, span)
        except HttpException as exc:
            if w.started:
                if not w.completed:
                    w.abort()
                return
            w.respond(exc.detail, "text/plain; charset=utf-8", exc.status)

    return dispatch


async def wait_closed(fut: asyncio.Future[None], bound: float = 5.0) -> None:
    """Await a transport's ``closed`` future with a generous bound."""
    await asyncio.wait_for(asyncio.shield(fut), bound)


async def read_responses(
    transport: MemoryTransport, count: int, heads: tuple[bool, ...] = (), bound: float = 5.0
) -> tuple[list[Response], bytes]:
    """Read until ``count`` responses are complete (or the server closes); return them
    and the raw bytes."""
    data = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while True:
        closed = transport.closed.done()
        data += transport.take()
        parsed = parse_all(data, heads, eof=closed)
        if len(parsed) >= count or closed:
            return parsed, data
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {count} responses, got {data!r}")
        data += await transport.read(timeout=remaining)


# --- connection scripts -------------------------------------------------------------------


def get(path: bytes = b"/") -> bytes:
    """A minimal HTTP/1.1 GET for ``path``."""
    return b"GET %b HTTP/1.1\r\nHost: a\r\n\r\n" % path


async def echo_path(req: Request, w: Writer, span: Span) -> None:
    """Answer with the request path."""
    w.respond(req.path, "text/plain")


async def settle(rounds: int = 20) -> None:
    """Let ready callbacks and tasks run (no timing involved)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


@asynccontextmanager
async def serving(
    app: App, bound: float = 10.0, *, tracer: Tracer | None = None, **config: Any
) -> AsyncIterator[int]:
    """Serve ``app`` on a free loopback port (``ServerConfig(**config)``); yield the port.

    Every wait is bounded by ``bound`` seconds; the server is shut down on exit, which
    closes ``tracer`` (default: a ``NoopTracer``).
    """
    settings = ServerConfig(port=0, **config)
    server = Server(app, tracer or NoopTracer(), settings, announce=lambda _: None)
    task = asyncio.ensure_future(server.serve())
    try:
        await asyncio.wait_for(server.started(), bound)
        assert server.port is not None
        yield server.port
    finally:
        server.shutdown()
        await asyncio.wait_for(task, bound)
