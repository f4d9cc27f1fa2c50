"""Large bodies are compressed in a worker thread; order, HEAD and failures stay right."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from stario import App, Context, Writer
from stario.compression import CODINGS, Codec, StreamEncoder
from stario.http.registry import ConnectionRegistry
from tests.compression.codecs import decode, html_page
from tests.compression.wire import exchange, open_app, request, without_date
from tests.http.httpkit import settle, wait_closed

PAGE = html_page(20_000)
HUGE = html_page(3_000_000)


def make_app() -> App:
    app = App()

    async def page(c: Context, w: Writer) -> None:
        w.respond(PAGE, "text/html")

    async def huge(c: Context, w: Writer) -> None:
        w.respond(HUGE, "text/html")

    async def numbered(c: Context, w: Writer) -> None:
        n = int(c.route.params["n"])
        w.respond((str(n) * 10).encode() + (HUGE if n % 2 else PAGE), "text/plain")

    async def stream(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/plain")
        w.write(b"small " * 10)
        w.write(HUGE[:1_000_000])  # above every default in-loop limit
        w.write(b"after " * 10)
        await w.drain()
        w.end(b"last " * 10)

    app.get("/page", page)
    app.get("/huge", huge)
    app.get("/n/{n}", numbered)
    app.get("/stream", stream)
    return app


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """(input size, ran on the event loop's thread) of every finished one-shot compression."""
    seen: list[tuple[int, bool]] = []
    original = Codec.compress

    def spy(self: Codec, data: bytes) -> bytes:
        out = original(self, data)
        seen.append((len(data), threading.current_thread() is threading.main_thread()))
        return out

    monkeypatch.setattr(Codec, "compress", spy)
    return seen


@pytest.mark.parametrize("coding", CODINGS)
async def test_large_bodies_compress_off_the_loop_small_ones_on_it(
    coding: str, threads: list[tuple[int, bool]]
) -> None:
    _, t = open_app(make_app())
    small, large = await exchange(
        t, request("GET", "/page", coding) + request("GET", "/huge", coding), 2
    )
    assert decode(coding, small.body) == PAGE
    assert decode(coding, large.body) == HUGE
    assert threads == [(len(PAGE), True), (len(HUGE), False)]


@pytest.mark.parametrize("coding", CODINGS)
async def test_a_large_streamed_piece_and_those_after_it_compress_off_the_loop(
    coding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, bool]] = []
    write, finish = StreamEncoder.write, StreamEncoder.finish

    def spy_write(self: StreamEncoder, data: bytes) -> bytes:
        seen.append(("write", len(data), threading.current_thread() is threading.main_thread()))
        return write(self, data)

    def spy_finish(self: StreamEncoder, data: bytes = b"") -> bytes:
        seen.append(("finish", len(data), threading.current_thread() is threading.main_thread()))
        return finish(self, data)

    monkeypatch.setattr(StreamEncoder, "write", spy_write)
    monkeypatch.setattr(StreamEncoder, "finish", spy_finish)
    _, t = open_app(make_app())
    (resp,) = await exchange(t, request("GET", "/stream", coding), 1)
    expected = b"small " * 10 + HUGE[:1_000_000] + b"after " * 10 + b"last " * 10
    assert decode(coding, resp.body) == expected
    # The first piece on the loop; the large one in a thread, and the rest follow it
    # there so the encoder's state sees them in order.
    assert seen == [
        ("write", 60, True),
        ("write", 1_000_000, False),
        ("write", 60, False),
        ("finish", 50, False),
    ]


async def test_brotli_11_compresses_everything_in_a_thread(
    threads: list[tuple[int, bool]],
) -> None:
    _, t = open_app(make_app(), compress_brotli_level=11)
    (resp,) = await exchange(t, request("GET", "/page", "br"), 1)
    assert decode("br", resp.body) == PAGE
    assert threads == [(len(PAGE), False)]


@pytest.mark.parametrize("coding", CODINGS)
async def test_pipelined_responses_stay_in_order(coding: str) -> None:
    _, t = open_app(make_app())
    script = b"".join(request("GET", f"/n/{n}", coding) for n in range(1, 7))
    responses = await exchange(t, script, 6)
    for n, resp in enumerate(responses, start=1):
        body = decode(coding, resp.body)
        assert body.startswith((str(n) * 10).encode())
        assert body[10:] == (HUGE if n % 2 else PAGE)
        assert int(resp.header("content-length") or -1) == len(resp.body)


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("path", ["/page", "/huge"])
async def test_head_carries_the_coding_headers_of_get(coding: str, path: str) -> None:
    _, t = open_app(make_app())
    get, head = await exchange(
        t, request("GET", path, coding) + request("HEAD", path, coding), 2, heads=(False, True)
    )
    assert head.body == b""
    assert head.header("content-encoding") == get.header("content-encoding") == coding
    assert head.header("vary") == get.header("vary") == "accept-encoding"
    if path == "/page":  # small enough to measure: exactly the GET head
        assert without_date(head) == without_date(get)
    else:  # RFC 9110 §9.3.2: the size is left out rather than compressing for nothing
        assert head.header("content-length") is None


async def test_client_leaving_during_compression_closes_cleanly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    compressed = asyncio.Event()
    original = Codec.compress

    def spy(self: Codec, data: bytes) -> bytes:
        out = original(self, data)
        loop.call_soon_threadsafe(compressed.set)
        return out

    monkeypatch.setattr(Codec, "compress", spy)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: errors.append(context))
    try:
        registry = ConnectionRegistry()
        conn, t = open_app(make_app(), registry=registry)
        t.feed(request("GET", "/huge", "br"))
        await settle()
        t.feed_eof()  # while the body is being compressed
        await asyncio.wait_for(compressed.wait(), 10)
        await settle()  # the job's completion runs on the loop
    finally:
        loop.set_exception_handler(None)
    assert errors == []
    assert conn.lost.done()
    assert conn not in registry.connections
    assert t.take() == b""


async def test_a_failing_job_aborts_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Codec, data: bytes) -> bytes:
        if threading.current_thread() is threading.main_thread():
            return original(self, data)
        raise RuntimeError("codec failure")

    original = Codec.compress
    monkeypatch.setattr(Codec, "compress", broken)
    _, t = open_app(make_app())
    t.feed(request("GET", "/huge", "gzip"))
    await wait_closed(t.closed)
    assert t.aborted
    assert t.take() == b""  # nothing half-sent: the head waits for the body
