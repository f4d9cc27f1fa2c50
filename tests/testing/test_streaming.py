"""client.stream(): chunked bodies as they arrive, SSE events, disconnects."""

from __future__ import annotations

import pytest

from stario.errors import StarioError
from stario.telemetry import MemoryTracer
from stario.testing import ProtocolError, ServerSentEvent, TestClient

from .demo import Log, make_bootstrap

Client = TestClient[MemoryTracer]


async def test_iter_bytes_yields_chunks(client: Client) -> None:
    async with client.stream("GET", "/stream") as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        chunks = [chunk async for chunk in response.iter_bytes()]
    assert b"".join(chunks) == b"one two three"
    assert len(chunks) >= 2


async def test_body_can_be_read_once(client: Client) -> None:
    async with client.stream("GET", "/stream") as response:
        assert await response.read() == b"one two three"
        with pytest.raises(StarioError, match="already read"):
            await response.read()


async def test_buffered_request_decodes_chunked(client: Client) -> None:
    assert (await client.get("/stream")).text == "one two three"


async def test_sse_events_then_disconnect_ends_the_handler(client: Client, log: Log) -> None:
    async with client.stream("GET", "/sse") as response:
        assert response.headers["content-type"] == "text/event-stream"
        events: list[ServerSentEvent] = []
        async for event in response.iter_events():
            events.append(event)
            if len(events) == 2:
                break
    assert events == [
        ServerSentEvent(event="x", data="a\nb"),
        ServerSentEvent(event="message", data='{"n": 1}', id="7", retry=1500),
    ]
    assert events[1].json() == {"n": 1}
    # Leaving the block disconnected the client; the handler's c.alive() block ended.
    assert log.events == ["setup", "sse ended"]
    [span] = [s for s in client.tracer.find("GET") if s.attributes["request.path"] == "/sse"]
    assert span.ended


async def test_iter_lines(client: Client) -> None:
    async with client.stream("GET", "/sse") as response:
        lines = []
        async for line in response.iter_lines():
            lines.append(line)
            if len(lines) == 3:
                break
    assert lines == ["event: x", "data: a", "data: b"]


async def test_open_stream_at_exit_ends_by_shutdown(log: Log) -> None:
    client = TestClient(make_bootstrap(log))
    async with client:
        stream = client.stream("GET", "/sse")
        response = await stream.__aenter__()
    # Leaving the client block shut the server down with the stream still open:
    # c.alive() ended, the handler finished its response, then teardown ran.
    rest = await response.read()
    await stream.__aexit__(None, None, None)
    assert rest.endswith(b"\n\n")
    assert log.events == ["setup", "sse ended", "teardown"]


async def test_truncated_stream_raises(client: Client) -> None:
    async with client.stream("GET", "/boom-midway") as response:
        with pytest.raises(ProtocolError, match="truncated"):
            await response.read()


async def test_stream_follows_redirects(client: Client) -> None:
    async with client.stream("GET", "/redirect/2") as response:
        assert [r.status_code for r in response.history] == [302, 302]
        assert await response.read() == b"arrived"
