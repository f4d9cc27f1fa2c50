"""SSE through compression: with ``Accept-Encoding`` every event is decodable at once.

The handler writes the next event only after the test has parsed the previous one from
the compressed bytes, so an encoder that held data back (no flush per write) would make
the test time out instead of pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from stario import App, Context, Writer
from stario.compression import CODINGS
from stario.datastar import SSE
from stario.html import Li
from stario.telemetry import MemoryTracer
from stario.testing import ServerSentEvent, TestClient

Client = TestClient[MemoryTracer]
BOUND = 5.0  # seconds; an event that is not flushed never arrives
# Over every codec's in-loop limit: compressed in a worker thread, order must hold.
BIG = "\n".join(f'<li id="row-{i}">row {i} {"x" * (i % 37)}</li>' for i in range(12_000))


class Feed:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.log: list[str] = []


def make_app(feed: Feed) -> App:
    async def events(c: Context, w: Writer) -> None:
        sse = SSE(w)
        sse.patch_signals({"connected": True})
        async with c.alive():
            while True:
                item = await feed.queue.get()
                if item == "big":
                    sse.patch_elements(f'<ul id="big">\n{BIG}\n</ul>')
                else:
                    sse.patch_elements(Li({"id": item}, item), selector="#items", mode="append")
                await sse.drain()
        feed.log.append("cleanup")

    async def plain(c: Context, w: Writer) -> None:
        w.skip_compression()
        SSE(w).patch_signals({"plain": True})

    app = App()
    app.get("/events", events)
    app.get("/plain", plain)
    return app


@pytest.fixture
def feed() -> Feed:
    return Feed()


@pytest.fixture
async def client(feed: Feed) -> AsyncIterator[Client]:
    async with TestClient(make_app(feed)) as client:
        yield client


def appended(item: str) -> ServerSentEvent:
    data = f'selector #items\nmode append\nelements <li id="{item}">{item}</li>'
    return ServerSentEvent("datastar-patch-elements", data)


@pytest.mark.parametrize("coding", CODINGS)
async def test_each_event_is_decodable_before_the_next_is_written(
    client: Client, feed: Feed, coding: str
) -> None:
    async with client.stream("GET", "/events", headers={"accept-encoding": coding}) as r:
        assert r.headers["content-type"] == "text/event-stream"
        assert r.headers["content-encoding"] == coding
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers["x-accel-buffering"] == "no"
        events = aiter(r.iter_events())
        first = await asyncio.wait_for(anext(events), BOUND)
        assert first == ServerSentEvent("datastar-patch-signals", 'signals {"connected":true}')
        for item in ("a", "big", "b", "c"):
            feed.queue.put_nowait(item)  # the handler writes it only now
            event = await asyncio.wait_for(anext(events), BOUND)
            if item == "big":
                assert event.event == "datastar-patch-elements"
                lines = event.data.split("\n")
                assert lines[0] == 'elements <ul id="big">'
                assert lines[1:-1] == [f"elements {line}" for line in BIG.split("\n")]
                assert lines[-1] == "elements </ul>"
            else:
                assert event == appended(item)
        assert feed.log == []
    # Leaving the stream is a disconnect: the loop ends and the cleanup runs.
    for _ in range(100):
        if feed.log:
            break
        await asyncio.sleep(0.01)
    assert feed.log == ["cleanup"]


async def test_skip_compression_sends_the_stream_as_is(client: Client) -> None:
    async with client.stream("GET", "/plain", headers={"accept-encoding": "gzip"}) as r:
        assert "content-encoding" not in r.headers
        assert [event async for event in r.iter_events()] == [
            ServerSentEvent("datastar-patch-signals", 'signals {"plain":true}')
        ]
