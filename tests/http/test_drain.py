"""Graceful shutdown waits for handlers whose client already went away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from stario import App, Context, Server, ServerConfig, Span, Writer
from stario.telemetry import MemoryTracer


async def test_teardown_waits_for_a_handler_that_outlived_its_client() -> None:
    order: list[str] = []
    client_gone = asyncio.Event()
    release = asyncio.Event()

    async def slow(c: Context, w: Writer) -> None:
        await c.req.disconnected  # the client left; the handler keeps working
        client_gone.set()
        await release.wait()
        order.append("handler done")

    async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
        app.get("/", slow)
        yield
        order.append("teardown")

    tracer = MemoryTracer()
    server = Server(bootstrap, tracer, ServerConfig(port=0), announce=lambda _: None)
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.wait_for(server.started(), 5)
        _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        writer.close()
        await asyncio.wait_for(client_gone.wait(), 5)
        server.shutdown()
        release.set()
        await asyncio.wait_for(serving, 10)
    finally:
        if not serving.done():
            serving.cancel()
    assert order == ["handler done", "teardown"]
    (shutdown,) = tracer.find("server.shutdown")
    assert shutdown.attributes["connections.open"] == 1
    assert shutdown.attributes["connections.force_closed"] == 0
