"""Garbage: the server raises the collector's first threshold, and requests make no cycles."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

from stario import App, Context, Server, ServerConfig, Span, StarioError, Writer
from stario.lifecycle import Bootstrap
from stario.server import GC_THRESHOLD
from stario.telemetry import NoopTracer
from tests.http.httpkit import serving

BOUND = 10.0


async def serve(bootstrap: Bootstrap) -> tuple[int, int, int]:
    """Run a server with ``bootstrap``; the thresholds seen while it listened."""
    server = Server(bootstrap, NoopTracer(), ServerConfig(port=0), announce=lambda _: None)
    task = asyncio.ensure_future(server.serve())
    try:
        await asyncio.wait_for(server.started(), BOUND)
        return gc.get_threshold()
    finally:
        server.shutdown()
        await asyncio.wait_for(task, BOUND)


async def plain(app: App, span: Span) -> AsyncIterator[None]:
    yield


async def test_threshold_is_raised_while_serving_and_restored_after() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        during = await serve(plain)
        assert during == (GC_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


async def test_a_higher_threshold_is_kept() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(GC_THRESHOLD * 2, 5, 5)
        assert await serve(plain) == (GC_THRESHOLD * 2, 5, 5)
    finally:
        gc.set_threshold(*before)


async def test_the_bootstrap_may_set_its_own() -> None:
    async def tuned(app: App, span: Span) -> AsyncIterator[None]:
        gc.set_threshold(1_000, 20, 20)
        yield

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        assert await serve(tuned) == (1_000, 20, 20)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


async def test_requests_leave_no_garbage_cycles() -> None:
    """Every per-request object is freed by reference counting, not the cycle collector."""

    async def hello(c: Context, w: Writer) -> None:
        w.respond(b"hi", "text/plain")

    async def echo(c: Context, w: Writer) -> None:
        w.respond(await c.req.body(), "text/plain")

    async def stream(c: Context, w: Writer) -> None:
        w.write(b"a")
        w.write(b"b")

    app = App()
    app.get("/hello", hello)
    app.post("/echo", echo)
    app.get("/stream", stream)
    requests = (
        b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n",
    )
    rounds = 50
    async with serving(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(requests[0])  # one warm-up request
            await asyncio.wait_for(reader.readuntil(b"hi"), BOUND)
            gc.collect()
            gc.disable()
            try:
                for _ in range(rounds):
                    for request in requests:
                        writer.write(request)
                    # The last answer is the 404 page: read up to its end.
                    await asyncio.wait_for(reader.readuntil(b"Not Found"), BOUND)
                found = gc.collect()
            finally:
                gc.enable()
        finally:
            writer.close()
    # A cycle per request would leave at least rounds * len(requests) objects.
    assert found < rounds, f"{found} objects in reference cycles after {rounds * 4} requests"


async def test_a_writer_kept_past_its_response_cannot_touch_the_connection() -> None:
    kept: list[Writer] = []
    outcomes: list[str] = []

    async def first(c: Context, w: Writer) -> None:
        kept.append(w)
        w.respond(b"first", "text/plain")

    async def second(c: Context, w: Writer) -> None:
        old = kept[0]
        old.abort()  # too late: the first response went out whole
        await old.drain()
        try:
            old.write(b"late")
        except StarioError as exc:
            outcomes.append(str(exc))
        w.respond(b"second", "text/plain")

    app = App()
    app.get("/first", first)
    app.get("/second", second)
    async with serving(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET /first HTTP/1.1\r\nHost: t\r\n\r\n")
            await asyncio.wait_for(reader.readuntil(b"first"), BOUND)
            writer.write(b"GET /second HTTP/1.1\r\nHost: t\r\n\r\n")
            await asyncio.wait_for(reader.readuntil(b"second"), BOUND)
            writer.write(b"GET /first HTTP/1.1\r\nHost: t\r\n\r\n")  # still open
            await asyncio.wait_for(reader.readuntil(b"first"), BOUND)
        finally:
            writer.close()
    assert outcomes == ["write() after the response was completed"]
