"""Streamed responses (chunked, SSE, HTTP/1.0) are compressed and flushed per write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import zstandard

from stario import App, Context, ServerConfig, Writer
from stario.compression import CODINGS
from stario.testing import TestClient
from tests.compression.codecs import Incremental, decode, html_page
from tests.compression.wire import exchange, open_app, request

BIG_PIECE = html_page(1_500_000, seed=3)  # above the in-loop limits: compressed in a thread
EVENTS = [f"event: tick\ndata: {i} {'x' * 40}\n\n".encode() for i in range(4)]


def make_app(release: asyncio.Queue[None] | None = None) -> App:
    app = App()

    async def sse(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/event-stream")
        w.headers.set("cache-control", "no-cache")
        w.write_headers(200)
        for event in EVENTS:
            w.write(event)
            await w.drain()
            if release is not None:
                await release.get()  # the client must have decoded this event already
        w.end()

    async def pieces(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/plain")
        w.write(b"first ")
        w.write(BIG_PIECE)
        w.write(b" middle ")
        await w.drain()
        w.write(BIG_PIECE[:1000])
        w.end(b" last")

    async def big_end(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/plain")
        w.write_headers()
        w.write(b"start ")
        w.end(BIG_PIECE)

    async def declared(c: Context, w: Writer) -> None:
        body = html_page(5000)
        w.headers.set("content-type", "text/html")
        w.headers.set("content-length", str(len(body)))
        w.write(body)
        w.end()

    app.get("/sse", sse)
    app.get("/pieces", pieces)
    app.get("/big-end", big_end)
    app.get("/declared", declared)
    return app


PIECES = b"first " + BIG_PIECE + b" middle " + BIG_PIECE[:1000] + b" last"


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any]]:
    async with TestClient(make_app()) as client:
        yield client


@pytest.mark.parametrize("coding", CODINGS)
async def test_each_event_is_decodable_before_the_next_is_written(coding: str) -> None:
    release: asyncio.Queue[None] = asyncio.Queue()
    headers = {"accept-encoding": coding}
    async with (
        TestClient(make_app(release)) as client,
        client.stream("GET", "/sse", headers=headers) as r,
    ):
        assert r.headers["content-encoding"] == coding
        assert r.headers["vary"] == "accept-encoding"
        assert r.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in r.headers
        decoder = Incremental(coding)
        chunks = r.iter_raw()
        seen = b""
        for i in range(len(EVENTS)):
            expected = b"".join(EVENTS[: i + 1])
            while len(seen) < len(expected):
                # Bounded: without a flush per write this would wait forever.
                seen += decoder.feed(await asyncio.wait_for(anext(chunks), 5))
            assert seen == expected
            release.put_nowait(None)
        rest = [chunk async for chunk in chunks]
        assert decoder.feed(b"".join(rest)) == b""
        assert decoder.finished()


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize(
    ("url", "expected"), [("/pieces", PIECES), ("/big-end", b"start " + BIG_PIECE)]
)
async def test_large_streamed_pieces_keep_their_order(
    client: TestClient[Any], coding: str, url: str, expected: bytes
) -> None:
    async with client.stream("GET", url, headers={"accept-encoding": coding}) as r:
        assert r.headers["content-encoding"] == coding
        raw = b"".join([chunk async for chunk in r.iter_raw()])
    assert decode(coding, raw) == expected


async def test_declared_content_length_streams_uncompressed(client: TestClient[Any]) -> None:
    async with client.stream("GET", "/declared", headers={"accept-encoding": "br"}) as r:
        assert "content-encoding" not in r.headers
        raw = b"".join([chunk async for chunk in r.iter_raw()])
    assert raw == html_page(5000)


async def test_streams_without_accept_encoding_are_plain(client: TestClient[Any]) -> None:
    async with client.stream("GET", "/sse") as r:
        assert "content-encoding" not in r.headers
        assert r.headers["vary"] == "accept-encoding"
        events = [e.data async for e in r.iter_events()]
    assert len(events) == len(EVENTS)


@pytest.mark.parametrize("coding", CODINGS)
async def test_http10_close_delimited_stream_is_compressed(coding: str) -> None:
    _, t = open_app(make_app())
    t.feed(request("GET", "/pieces", coding, version="1.0"))
    raw = b""
    while not t.closed.done():
        raw += await t.read()
    raw += t.take()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert f"content-encoding: {coding}".encode() in head
    assert b"transfer-encoding" not in head
    assert decode(coding, body) == PIECES


async def test_zstd_and_brotli_windows_come_from_config() -> None:
    config = ServerConfig(compress_zstd_window_log=10, compress_brotli_window_log=10)
    async with TestClient(make_app(), config=config) as client:
        async with client.stream("GET", "/sse", headers={"accept-encoding": "zstd"}) as r:
            zstd_raw = b"".join([chunk async for chunk in r.iter_raw()])
        async with client.stream("GET", "/sse", headers={"accept-encoding": "br"}) as r:
            br_raw = b"".join([chunk async for chunk in r.iter_raw()])
    assert zstandard.get_frame_parameters(zstd_raw).window_size == 1 << 10
    assert _brotli_window_bits(br_raw) == 10
    assert decode("br", br_raw) == b"".join(EVENTS)
    async with (
        TestClient(make_app()) as client,
        client.stream("GET", "/sse", headers={"accept-encoding": "br"}) as r,
    ):
        default_raw = b"".join([chunk async for chunk in r.iter_raw()])
    assert _brotli_window_bits(default_raw) == 22


def _brotli_window_bits(stream: bytes) -> int:
    """WBITS from a brotli stream header (RFC 7932 §9.1)."""
    first = stream[0]
    if first & 1 == 0:
        return 16
    n = (first >> 1) & 0b111
    if n:
        return 17 + n
    m = (first >> 4) & 0b111
    assert m != 1, "large-window brotli"
    return 8 + m if m else 17


async def test_a_streamed_head_request_gets_the_same_coding_headers() -> None:
    _, t = open_app(make_app())
    get, head = await exchange(
        t,
        request("GET", "/pieces", "gzip") + request("HEAD", "/pieces", "gzip"),
        2,
        heads=(False, True),
    )
    for name in ("content-encoding", "vary", "content-type"):
        assert get.header(name) == head.header(name), name
    assert head.body == b""
    assert decode("gzip", get.body) == PIECES
