"""``Connection`` over a ``MemoryTransport``: request bodies, flow control, timers, shutdown.

Timers use tiny timeouts and await the transport's ``closed`` future with a generous
bound; no test asserts a duration.
"""

from __future__ import annotations

import asyncio
import contextvars

from stario.errors import ClientDisconnected
from stario.http.registry import ConnectionRegistry
from stario.request import Request
from stario.telemetry import Span
from stario.writer import Writer
from tests.http.conftest import Open
from tests.http.httpkit import (
    app_like,
    echo_path,
    get,
    parse_all,
    read_responses,
    settle,
    wait_closed,
)

# --- request bodies ---------------------------------------------------------------------


async def test_100_continue_sent_when_handler_reads(open_conn: Open) -> None:
    async def handler(req: Request, w: Writer, span: Span) -> None:
        w.respond(await req.body(), "text/plain")

    _, t = open_conn(handler)
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 6\r\n\r\n")
    assert await t.read() == b"HTTP/1.1 100 Continue\r\n\r\n"
    t.feed(b"abc")
    await settle()
    t.feed(b"def")
    (resp,), raw = await read_responses(t, 1)
    assert resp.body == b"abcdef"
    assert b"100 Continue" not in raw  # sent once only
    assert resp.header("connection") is None


async def test_100_continue_never_sent_without_reading(open_conn: Open) -> None:
    _, t = open_conn(echo_path)
    t.feed(b"POST /no HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 6\r\n\r\n")
    (resp,), raw = await read_responses(t, 1)
    assert resp.body == b"/no"
    assert b"100 Continue" not in raw
    # The unread body leaves the framing unknown: the connection must not be reused.
    assert resp.header("connection") == "close"
    await settle()
    assert t.eof_written or t.closed.done()


async def test_body_read_after_disconnect_raises(open_conn: Open) -> None:
    outcome: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
    finally_ran = asyncio.Event()

    async def reader(req: Request, w: Writer, span: Span) -> None:
        try:
            await req.body()
        except BaseException as exc:
            outcome.set_result(exc)
            raise
        finally:
            finally_ran.set()

    conn, t = open_conn(reader)
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    await settle()
    assert not conn.lost.done()
    t.feed_eof()
    exc = await asyncio.wait_for(outcome, 5)
    assert isinstance(exc, ClientDisconnected)
    assert conn.lost.done()
    await asyncio.wait_for(finally_ran.wait(), 5)


async def test_disconnect_future_resolves_for_waiting_handler(open_conn: Open) -> None:
    ended = asyncio.Event()
    started = asyncio.Event()

    async def streamer(req: Request, w: Writer, span: Span) -> None:
        w.write_headers(200)
        started.set()
        try:
            await req.disconnected
        finally:
            ended.set()

    _, t = open_conn(streamer)
    t.feed(get())
    await asyncio.wait_for(started.wait(), 5)
    t.feed_eof()
    await asyncio.wait_for(ended.wait(), 5)


async def test_body_read_after_full_body_then_disconnect_still_works(open_conn: Open) -> None:
    result: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def reader(req: Request, w: Writer, span: Span) -> None:
        await req.disconnected
        result.set_result(await req.body())

    _, t = open_conn(reader)
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
    await settle()
    t.feed_eof()
    assert await asyncio.wait_for(result, 5) == b"abc"


async def test_chunked_body_over_cap_is_413_when_read(open_conn: Open) -> None:
    async def reader(req: Request, w: Writer, span: Span) -> None:
        w.respond(await req.body(), "text/plain")

    _, t = open_conn(app_like(reader), max_request_body_bytes=8)
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n")
    await settle()
    t.feed(b"5\r\nfghij\r\n0\r\n\r\n" + get())
    (resp,), raw = await read_responses(t, 1)
    assert resp.status == 413
    assert resp.header("connection") == "close"
    await settle()
    assert raw.count(b"HTTP/1.1") == 1
    assert t.eof_written or t.closed.done()


async def test_declared_body_over_cap_is_413_before_handler(open_conn: Open) -> None:
    called: list[str] = []

    async def handler(req: Request, w: Writer, span: Span) -> None:
        called.append(req.path)
        w.respond("ok", "text/plain")

    _, t = open_conn(handler, max_request_body_bytes=8)
    t.feed(get(b"/first") + b"POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n")
    responses, _ = await read_responses(t, 2)
    assert [r.status for r in responses] == [200, 413]
    assert called == ["/first"]


async def test_head_over_cap_is_431(open_conn: Open) -> None:
    _, t = open_conn(echo_path, max_request_header_bytes=256)
    t.feed(b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"v" * 300 + b"\r\n\r\n")
    (resp,), _ = await read_responses(t, 1)
    assert resp.status == 431
    assert resp.header("connection") == "close"


# --- flow control ---------------------------------------------------------------------


async def test_slow_reader_pauses_reading_until_output_taken(open_conn: Open) -> None:
    async def big(req: Request, w: Writer, span: Span) -> None:
        for _ in range(8):
            w.write(b"x" * 100)
            await w.drain()
        w.end()

    _, t = open_conn(big, limit=150)
    t.feed(get())
    await settle()
    assert not t.reading  # the client is not reading: stop reading from it too
    data = b""
    for _ in range(100):
        data += t.take()
        await settle(5)
        if data.endswith(b"0\r\n\r\n"):
            break
    (resp,) = parse_all(data)
    assert resp.body == b"x" * 800
    assert t.take() == b""
    assert t.reading


async def test_pipeline_backlog_pauses_reading(open_conn: Open) -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def gated(req: Request, w: Writer, span: Span) -> None:
        await gate
        w.respond(req.path, "text/plain")

    _, t = open_conn(gated, pipeline_backlog=2)
    t.feed(get(b"/1") + get(b"/2"))
    await settle()
    assert t.reading
    t.feed(get(b"/3") + get(b"/4"))
    await settle()
    assert not t.reading
    gate.set_result(None)
    responses, _ = await read_responses(t, 4)
    assert [r.body for r in responses] == [b"/1", b"/2", b"/3", b"/4"]
    await settle()
    assert t.reading


async def test_unread_large_body_pauses_reading(open_conn: Open) -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def late_reader(req: Request, w: Writer, span: Span) -> None:
        await gate
        w.respond(str(len(await req.body())), "text/plain")

    _, t = open_conn(late_reader)
    size = 600 * 1024
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % size)
    t.feed(b"z" * (size // 2))
    await settle()
    assert not t.reading  # the handler is not reading: buffer no more
    gate.set_result(None)
    await settle()
    assert t.reading
    t.feed(b"z" * (size - size // 2))
    (resp,), _ = await read_responses(t, 1)
    assert resp.body == str(size).encode()


# --- timers (tiny timeouts, generous bounds, no duration assertions) -------------------------


async def test_idle_connection_closes_after_keep_alive_timeout(open_conn: Open) -> None:
    _, t = open_conn(echo_path, keep_alive_timeout=0.05)
    await wait_closed(t.closed)
    assert t.take() == b""


async def test_keep_alive_timeout_after_a_response(open_conn: Open) -> None:
    _, t = open_conn(echo_path, keep_alive_timeout=0.05)
    t.feed(get())
    (resp,), _ = await read_responses(t, 1)
    assert resp.status == 200
    await wait_closed(t.closed)


async def test_partial_head_closes_after_header_timeout(open_conn: Open) -> None:
    _, t = open_conn(echo_path, header_timeout=0.05, keep_alive_timeout=60)
    t.feed(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
    await wait_closed(t.closed)


async def test_trickled_head_still_closes_after_header_timeout(open_conn: Open) -> None:
    # SECURITY: slowloris; each byte must not restart the header deadline.
    _, t = open_conn(echo_path, header_timeout=0.05, keep_alive_timeout=60)
    t.feed(b"GET / HTTP/1.1\r\n")

    async def trickle() -> None:
        while not t.closed.done():
            t.feed(b"X")
            await asyncio.wait({t.closed}, timeout=0.005)

    await asyncio.wait_for(trickle(), 5)
    assert t.take() == b""


async def test_slow_handler_is_not_cut_by_idle_timers(open_conn: Open) -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def slow(req: Request, w: Writer, span: Span) -> None:
        await gate
        w.respond("done", "text/plain")

    _, t = open_conn(slow, keep_alive_timeout=0.01, header_timeout=0.01)
    t.feed(get())
    done, _ = await asyncio.wait({t.closed}, timeout=0.2)
    assert not done
    gate.set_result(None)
    (resp,), _ = await read_responses(t, 1)
    assert resp.body == b"done"


async def test_body_stall_is_408_while_handler_reads(open_conn: Open) -> None:
    async def reader(req: Request, w: Writer, span: Span) -> None:
        w.respond(await req.body(), "text/plain")

    _, t = open_conn(app_like(reader), body_read_timeout=0.05)
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    (resp,), _ = await read_responses(t, 1)
    assert resp.status == 408
    assert resp.header("connection") == "close"
    t.feed(b"defghij" + get())  # too late: nothing more is parsed or answered
    await settle()
    assert t.take() == b""


# --- server shutdown ----------------------------------------------------------------------


async def test_shutdown_closes_idle_connection(open_conn: Open) -> None:
    registry = ConnectionRegistry()
    conn, t = open_conn(echo_path, registry=registry)
    t.feed(get())
    await read_responses(t, 1)
    registry.shutting_down = True
    conn.shutdown()
    await wait_closed(t.closed)
    assert not registry.connections


async def test_shutdown_lets_an_arriving_body_finish(open_conn: Open) -> None:
    async def reader(req: Request, w: Writer, span: Span) -> None:
        w.respond(await req.body(), "text/plain")

    registry = ConnectionRegistry()
    conn, t = open_conn(reader, registry=registry)
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc")
    await settle()
    registry.shutting_down = True
    conn.shutdown()
    t.feed(b"def" + get(b"/late"))
    (resp,), raw = await read_responses(t, 1)
    assert resp.body == b"abcdef"
    assert resp.header("connection") == "close"
    await wait_closed(t.closed)
    assert b"/late" not in raw


# --- the connection's task ------------------------------------------------------------

_SEEN: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="unset")


async def test_context_variables_last_for_the_connection_only(open_conn: Open) -> None:
    async def handler(req: Request, w: Writer, span: Span) -> None:
        before = _SEEN.get()
        _SEEN.set(req.path)
        w.respond(before, "text/plain")

    async def two_requests() -> list[bytes]:
        _, t = open_conn(handler)
        bodies = []
        for path in (b"/one", b"/two"):
            t.feed(get(path))
            (resp,), _ = await read_responses(t, 1)
            bodies.append(resp.body)
        return bodies

    # One task per connection: the second request sees what the first one set; a new
    # connection starts from a fresh copy of the context.
    assert await two_requests() == [b"unset", b"/one"]
    assert await two_requests() == [b"unset", b"/one"]
    assert _SEEN.get() == "unset"
