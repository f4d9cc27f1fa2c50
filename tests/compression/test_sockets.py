"""Compressed responses over a real TCP socket, decoded with the reference libraries."""

from __future__ import annotations

import asyncio

import pytest

from stario import App, Context, Writer
from stario.compression import CODINGS
from tests.compression.codecs import Incremental, decode, html_page
from tests.http.httpkit import Response, parse_all, serving

BOUND = 10.0
PAGE = html_page(30_000)
HUGE = html_page(2_500_000)
EVENTS = [f"data: event {i}\n\n".encode() for i in range(3)]


def make_app(release: asyncio.Queue[None]) -> App:
    app = App()

    async def page(c: Context, w: Writer) -> None:
        w.respond(PAGE, "text/html; charset=utf-8")

    async def huge(c: Context, w: Writer) -> None:
        w.respond(HUGE, "text/html; charset=utf-8")

    async def sse(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/event-stream")
        for event in EVENTS:
            w.write(event)
            await w.drain()
            await release.get()
        w.end()

    app.get("/page", page)
    app.get("/huge", huge)
    app.get("/sse", sse)
    return app


async def read_until(
    reader: asyncio.StreamReader, count: int, heads: tuple[bool, ...] = ()
) -> list[Response]:
    data = b""
    while len(parse_all(data, heads, eof=False)) < count:
        chunk = await asyncio.wait_for(reader.read(65536), BOUND)
        assert chunk, f"server closed early: {data[:300]!r}"
        data += chunk
    return parse_all(data, heads, eof=False)


@pytest.mark.parametrize("coding", CODINGS)
async def test_whole_responses_over_a_socket(coding: str) -> None:
    async with serving(make_app(asyncio.Queue()), graceful_timeout=2.0) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            req = f"GET /page HTTP/1.1\r\nHost: t\r\nAccept-Encoding: {coding}\r\n\r\n"
            req += f"GET /huge HTTP/1.1\r\nHost: t\r\nAccept-Encoding: {coding}\r\n\r\n"
            req += f"HEAD /page HTTP/1.1\r\nHost: t\r\nAccept-Encoding: {coding}\r\n\r\n"
            writer.write(req.encode())
            page, huge, head = await read_until(reader, 3, heads=(False, False, True))
        finally:
            writer.close()
    assert page.header("content-encoding") == huge.header("content-encoding") == coding
    assert decode(coding, page.body) == PAGE
    assert decode(coding, huge.body) == HUGE
    assert head.header("content-encoding") == coding
    assert head.header("content-length") == page.header("content-length")


@pytest.mark.parametrize("coding", CODINGS)
async def test_sse_events_arrive_one_by_one_over_a_socket(coding: str) -> None:
    release: asyncio.Queue[None] = asyncio.Queue()
    async with serving(make_app(release), graceful_timeout=2.0) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(
                f"GET /sse HTTP/1.1\r\nHost: t\r\nAccept-Encoding: {coding}\r\n\r\n".encode()
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)
            assert f"content-encoding: {coding}".encode() in head
            assert b"transfer-encoding: chunked" in head
            decoder = Incremental(coding)
            seen = b""
            for i in range(len(EVENTS)):
                expected = b"".join(EVENTS[: i + 1])
                while len(seen) < len(expected):
                    seen += decoder.feed(await _read_chunk(reader))
                assert seen == expected
                release.put_nowait(None)
            while (chunk := await _read_chunk(reader)) != b"":
                seen += decoder.feed(chunk)
            assert seen == b"".join(EVENTS)
            assert decoder.finished()
        finally:
            writer.close()


async def _read_chunk(reader: asyncio.StreamReader) -> bytes:
    """One chunk of a chunked body (b"" for the last one)."""
    size_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), BOUND)
    size = int(size_line.strip(), 16)
    data = await asyncio.wait_for(reader.readexactly(size + 2), BOUND)
    return data[:-2]
