"""``Connection`` over a ``MemoryTransport``: ordering, keep-alive, bodiless answers, failures."""

from __future__ import annotations

import asyncio

import pytest

from stario.request import Request
from stario.telemetry import Span
from stario.writer import Writer
from tests.http.conftest import Open
from tests.http.httpkit import echo_path, get, read_responses, settle, wait_closed

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
