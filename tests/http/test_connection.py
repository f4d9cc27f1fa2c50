"""Scripts against ``Connection`` over a ``MemoryTransport`` (no sockets)."""

from __future__ import annotations

import asyncio

import pytest

from stario.errors import ClientDisconnected
from stario.http.connection import ConnectionRegistry
from stario.request import Request
from stario.telemetry import Span
from stario.writer import Writer
from tests.http.conftest import Open
from tests.http.httpkit import app_like, parse_all, read_responses, wait_closed

GET = b"GET %b HTTP/1.1\r\nHost: a\r\n\r\n"


def get(path: bytes = b"/") -> bytes:
    return GET % path


async def echo_path(req: Request, w: Writer, span: Span) -> None:
    w.respond(req.path, "text/plain")


async def settle(rounds: int = 20) -> None:
    """Let ready callbacks and tasks run (no timing involved)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


# --- ordering -------------------------------------------------------------------------


async def test_pipelined_responses_in_order_with_error_third(open_conn: Open) -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def handler(req: Request, w: Writer, span: Span) -> None:
        seen.append(req.path)
        if req.path == "/slow":
            await gate
        w.respond(req.path, "text/plain")

    _, t = open_conn(handler)
    t.feed(get(b"/slow") + get(b"/fast") + b"GET /bad HTTP/1.1\r\n\r\n")
    await settle()
    assert t.take() == b""  # nothing may overtake the slow first answer
    gate.set_result(None)
    responses, _ = await read_responses(t, 3)
    assert [r.status for r in responses] == [200, 200, 400]
    assert [r.body for r in responses[:2]] == [b"/slow", b"/fast"]
    assert responses[2].header("connection") == "close"
    assert seen == ["/slow", "/fast"]
    await settle()
    assert t.eof_written or t.closed.done()


async def test_many_pipelined_requests_all_answered(open_conn: Open) -> None:
    _, t = open_conn(echo_path)
    t.feed(b"".join(get(b"/%d" % i) for i in range(10)))
    responses, _ = await read_responses(t, 10)
    assert [r.body for r in responses] == [b"/%d" % i for i in range(10)]


async def test_bytes_fed_one_at_a_time(open_conn: Open) -> None:
    async def handler(req: Request, w: Writer, span: Span) -> None:
        w.respond(await req.body(), "text/plain")

    _, t = open_conn(handler)
    raw = (
        b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n" + get(b"/b")
    )
    for i in range(len(raw)):
        t.feed(raw[i : i + 1])
        await asyncio.sleep(0)
    responses, _ = await read_responses(t, 2)
    assert [r.body for r in responses] == [b"abcde", b""]


# --- keep-alive ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "keep", "connection"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", True, None),
        (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", False, "close"),
        (b"GET / HTTP/1.0\r\n\r\n", False, "close"),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", True, "keep-alive"),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", False, "close"),
    ],
    ids=["http11-default", "http11-close", "http10-default", "http10-keep-alive", "http10-te"],
)
async def test_keep_alive_rules(
    open_conn: Open, request_: bytes, keep: bool, connection: str | None
) -> None:
    _, t = open_conn(echo_path)
    t.feed(request_)
    (resp,), _ = await read_responses(t, 1)
    assert resp.status == 200
    assert resp.header("connection") == connection
    if keep:
        t.feed(get(b"/again"))
        (again,), _ = await read_responses(t, 1)
        assert again.body == b"/again"
        assert not t.closed.done()
    else:
        await wait_closed(t.closed)


async def test_http10_streamed_body_ends_at_close(open_conn: Open) -> None:
    async def handler(req: Request, w: Writer, span: Span) -> None:
        w.write("part one, ")
        w.write("part two")

    _, t = open_conn(handler)
    t.feed(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    (resp,), _ = await read_responses(t, 1)
    assert t.closed.done()
    assert resp.body == b"part one, part two"
    assert resp.header("connection") == "close"
    assert "content-length" not in resp.header_names()
    assert "transfer-encoding" not in resp.header_names()


# --- bodies that must not be sent -----------------------------------------------------


async def test_head_has_headers_of_get_and_no_body(open_conn: Open) -> None:
    async def handler(req: Request, w: Writer, span: Span) -> None:
        w.headers.set("x-kind", "demo")
        w.respond("twelve bytes", "text/plain")

    _, t = open_conn(handler)
    t.feed(get() + b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" + get(b"/after"))
    responses, _ = await read_responses(t, 3, heads=(False, True, False))
    get_resp, head_resp, after = responses
    assert head_resp.body == b""
    without_date = [h for h in get_resp.headers if h[0] != "date"]
    assert [h for h in head_resp.headers if h[0] != "date"] == without_date
    assert head_resp.header("content-length") == "12"
    assert after.status == 200
    assert after.body == b"twelve bytes"


async def test_head_streamed_sends_no_body(open_conn: Open) -> None:
    async def handler(req: Request, w: Writer, span: Span) -> None:
        w.write("streamed ")
        w.write("body")
        w.end()

    _, t = open_conn(handler)
    t.feed(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" + get())
    (head_resp, get_resp), raw = await read_responses(t, 2, heads=(True, False))
    assert head_resp.status == 200
    assert raw.count(b"streamed") == 1  # only the GET carries the body
    assert get_resp.body == b"streamed body"
    assert not t.closed.done()


@pytest.mark.parametrize("status", [204, 304])
async def test_no_body_statuses(open_conn: Open, status: int) -> None:
    async def respond(req: Request, w: Writer, span: Span) -> None:
        if req.path == "/respond":
            w.respond("ignored", "text/plain", status)
        elif req.path == "/stream":
            w.write_headers(status)
            w.write("ignored")
            w.end()
        elif req.path == "/end":
            w.status_code = status
            w.end()
        else:
            w.respond(req.path, "text/plain")

    _, t = open_conn(respond)
    t.feed(get(b"/respond") + get(b"/stream") + get(b"/end") + get(b"/ok"))
    responses, raw = await read_responses(t, 4)
    assert [r.status for r in responses[:3]] == [status] * 3
    assert b"ignored" not in raw
    for resp in responses[:3]:
        assert "transfer-encoding" not in resp.header_names()
        if status == 204:  # RFC 9110 §8.6: never a Content-Length on 204
            assert "content-length" not in resp.header_names()
        else:  # on 304 it could only state the size of a 200 body, which is unknown here
            assert resp.header("content-length") is None
    assert responses[3].body == b"/ok"


async def test_handler_that_sends_nothing_gets_204(open_conn: Open) -> None:
    async def nothing(req: Request, w: Writer, span: Span) -> None:
        return None

    _, t = open_conn(nothing)
    t.feed(get() + get(b"/x"))
    responses, _ = await read_responses(t, 2)
    assert [r.status for r in responses] == [204, 204]
    assert "content-length" not in responses[0].header_names()


# --- handler failures -----------------------------------------------------------------


async def test_exception_before_head_is_500_without_traceback(open_conn: Open) -> None:
    async def broken(req: Request, w: Writer, span: Span) -> None:
        if req.path == "/boom":
            raise RuntimeError("secret database password")
        w.respond("fine", "text/plain")

    _, t = open_conn(broken)
    t.feed(get(b"/boom") + get(b"/ok"))
    (boom, ok), raw = await read_responses(t, 2)
    assert boom.status == 500
    assert boom.body == b"Internal Server Error"
    assert b"Traceback" not in raw
    assert b"secret" not in raw
    assert b"RuntimeError" not in raw
    assert ok.body == b"fine"  # the connection survives a handler error


async def test_exception_after_head_aborts_without_last_chunk(open_conn: Open) -> None:
    async def broken(req: Request, w: Writer, span: Span) -> None:
        w.write("partial")
        raise RuntimeError("late failure")

    _, t = open_conn(broken)
    t.feed(get() + get(b"/next"))
    await wait_closed(t.closed)
    (resp,), raw = await read_responses(t, 1)
    assert t.aborted
    assert resp.status == 200
    assert not resp.complete
    assert not raw.endswith(b"0\r\n\r\n")
    assert b"late failure" not in raw
    assert raw.count(b"HTTP/1.1") == 1  # the pipelined request is never answered


@pytest.mark.parametrize("written", [b"abc", b"x" * 20], ids=["short", "long"])
async def test_content_length_mismatch_aborts(open_conn: Open, written: bytes) -> None:
    errors: list[BaseException] = []

    async def liar(req: Request, w: Writer, span: Span) -> None:
        w.headers.set("content-length", "10")
        w.write_headers(200)
        try:
            w.write(written)
            w.end()
        except Exception as exc:
            errors.append(exc)
            raise

    _, t = open_conn(liar)
    t.feed(get() + get(b"/next"))
    await wait_closed(t.closed)
    (resp,), raw = await read_responses(t, 1)
    assert t.aborted
    assert errors, "the mismatch must be an error for the handler"
    assert resp.header("content-length") == "10"
    assert not resp.complete
    assert raw.count(b"HTTP/1.1") == 1


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


async def test_handler_raising_cancelled_error_does_not_hang_the_connection(
    open_conn: Open,
) -> None:
    async def handler(req: Request, w: Writer, span: Span) -> None:
        w.respond(req.path, "text/plain")
        if req.path == "/cancelled":
            raise asyncio.CancelledError  # e.g. awaiting a task someone else cancelled

    _, t = open_conn(handler)
    t.feed(get(b"/cancelled") + get(b"/next"))
    responses, _ = await read_responses(t, 2)
    await wait_closed(t.closed)
    assert responses[0].body == b"/cancelled"
    assert [r.body for r in responses[1:]] in ([], [b"/next"])
