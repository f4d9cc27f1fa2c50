"""SSE through the real server code: headers, streaming, and c.alive() ending the loop.

The handlers log what they did; a stream ends either because the client goes away
(leaving ``client.stream(...)``) or because the server shuts down (leaving the
``TestClient`` block). In both cases the code after the ``c.alive()`` loop must run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from stario import App, Context, Writer
from stario.datastar import SSE
from stario.html import Li
from stario.telemetry import MemoryTracer
from stario.testing import ProtocolError, ServerSentEvent, StreamingResponse, TestClient

Client = TestClient[MemoryTracer]


class Feed:
    """A stand-in for a message bus: the test publishes, the handlers stream."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.log: list[str] = []

    async def messages(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.queue.get()
        finally:
            self.log.append("source closed")


def make_app(feed: Feed) -> App:
    async def with_block(c: Context, w: Writer) -> None:
        sse = SSE(w)
        sse.patch_signals({"connected": True})
        async with c.alive():
            while True:
                item = await feed.queue.get()
                sse.patch_elements(Li({"id": item}, item), selector="#items", mode="append")
                await sse.drain()
        feed.log.append("cleanup")
        sse.patch_signals({"connected": False})  # reaches the client only at shutdown

    async def with_source(c: Context, w: Writer) -> None:
        sse = SSE(w)
        sse.patch_signals({"connected": True})
        async for item in c.alive(feed.messages()):
            sse.patch_elements(Li({"id": item}, item), selector="#items", mode="append")
        feed.log.append("cleanup")
        sse.patch_signals({"connected": False})

    app = App()
    app.get("/block", with_block)
    app.get("/source", with_source)
    return app


def events_of(response: StreamingResponse) -> AsyncIterator[ServerSentEvent]:
    return aiter(response.iter_events())


@pytest.fixture
def feed() -> Feed:
    return Feed()


@pytest.fixture
async def client(feed: Feed) -> AsyncIterator[Client]:
    async with TestClient(make_app(feed)) as client:
        yield client


async def test_stream_headers_and_events(client: Client, feed: Feed) -> None:
    async with client.stream("GET", "/block") as response:
        events = events_of(response)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        assert response.headers["transfer-encoding"] == "chunked"
        first = await anext(events)
        assert first == ServerSentEvent("datastar-patch-signals", 'signals {"connected":true}')
        feed.queue.put_nowait("a")
        second = await anext(events)
    assert second.event == "datastar-patch-elements"
    assert second.data == 'selector #items\nmode append\nelements <li id="a">a</li>'


@pytest.mark.parametrize("path", ["/block", "/source"])
async def test_disconnect_ends_the_loop_and_runs_cleanup(
    client: Client, feed: Feed, path: str
) -> None:
    async with client.stream("GET", path) as response:
        events = events_of(response)
        await anext(events)
        feed.queue.put_nowait("a")
        await anext(events)
        assert feed.log == []
    # Leaving the block disconnected; the TestClient waits for the handler to return.
    expected = ["source closed", "cleanup"] if path == "/source" else ["cleanup"]
    assert feed.log == expected
    [span] = [s for s in client.tracer.find("GET") if s.attributes["request.path"] == path]
    assert span.ended
    assert span.status == "ok"


@pytest.mark.parametrize("path", ["/block", "/source"])
async def test_shutdown_ends_the_loop_and_the_stream_cleanly(feed: Feed, path: str) -> None:
    client = TestClient(make_app(feed))
    async with client:
        stream = client.stream("GET", path)
        response = await stream.__aenter__()
        events = events_of(response)
        await anext(events)
        feed.queue.put_nowait("a")
        await anext(events)
    # The server shut down with the stream open: the loop ended, cleanup ran and wrote
    # a last event, and the response was finished (a truncated body would raise here).
    try:
        rest = [event async for event in events]
    finally:
        await stream.__aexit__(None, None, None)
    assert rest == [ServerSentEvent("datastar-patch-signals", 'signals {"connected":false}')]
    assert feed.log[-1] == "cleanup"
    [span] = [s for s in client.tracer.find("GET") if s.attributes["request.path"] == path]
    assert span.status == "ok"


async def test_outside_cancellation_still_propagates(feed: Feed) -> None:
    tasks: list[asyncio.Task[object]] = []

    async def handler(c: Context, w: Writer) -> None:
        SSE(w)
        task = asyncio.current_task()
        assert task is not None
        tasks.append(task)
        try:
            async with c.alive():
                await asyncio.Future()
        finally:
            feed.log.append("finally")
        feed.log.append("after the block")  # must not run: the cancel came from outside

    app = App()
    app.get("/x", handler)
    async with TestClient(app) as client, client.stream("GET", "/x") as response:
        [task] = tasks
        task.cancel()
        with pytest.raises(ProtocolError, match="truncated"):
            await response.read()
    assert feed.log == ["finally"]


async def test_cleanup_awaits_after_a_block_entered_while_closing() -> None:
    log: list[str] = []

    async def handler(c: Context, w: Writer) -> None:
        sse = SSE(w)
        await c.req.disconnected
        async with c.alive():  # the client is gone already
            sse.patch_signals({"late": True})
        await asyncio.sleep(0)
        log.append("cleanup finished")

    app = App()
    app.get("/x", handler)
    async with TestClient(app) as client, client.stream("GET", "/x"):
        pass
    assert log == ["cleanup finished"]


async def test_cleanup_is_not_cancelled_when_the_block_ends_as_the_client_leaves() -> None:
    log: list[str] = []

    async def handler(c: Context, w: Writer) -> None:
        SSE(w)
        released = asyncio.Event()
        loop = asyncio.get_running_loop()
        hops = int(c.req.query.get("hops") or 0)

        def release(remaining: int) -> None:
            if remaining:
                loop.call_soon(release, remaining - 1)
            else:
                released.set()

        # The block's await finishes a few loop turns after the disconnect.
        c.req.disconnected.add_done_callback(lambda _: release(hops))
        async with c.alive():
            await released.wait()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        log.append(f"cleanup finished {hops}")

    app = App()
    app.get("/x", handler)
    async with TestClient(app) as client:
        for hops in range(5):
            async with client.stream("GET", f"/x?hops={hops}"):
                pass
    assert log == [f"cleanup finished {hops}" for hops in range(5)]
