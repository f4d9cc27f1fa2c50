"""Handlers started from a loop callback keep every property of a task.

A request that arrives while its connection's task is parked has the first step of
its handler run one loop iteration later, from a callback, in the name of that task;
a handler that then waits is handed back to the task (``stario.http.steps``). These
tests drive the second request on a connection (the first one starts the task) and
check what a handler can see: the current task, timeouts, cancellation, context
variables, exceptions, and the server's drain.
"""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from stario.http.registry import ConnectionRegistry
from stario.request import Request
from stario.telemetry import Span
from stario.testing.transport import MemoryTransport
from stario.writer import Writer
from tests.http.conftest import Open
from tests.http.httpkit import app_like, echo_path, get, read_responses, settle, wait_closed

BOUND = 5.0

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


async def second_response(open_conn: Open, handler: object, path: bytes = b"/") -> bytes:
    """Serve ``GET /warm`` then ``GET path`` on one connection; the second body."""

    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        if req.path == "/warm":
            w.respond(b"warm", "text/plain")
        else:
            await handler(req, w)  # type: ignore[operator]

    _, t = open_conn(app_like(dispatch))
    t.feed(get(b"/warm"))
    (first,), _ = await read_responses(t, 1)
    assert first.body == b"warm"
    await settle()
    t.feed(get(path))
    (second,), _ = await read_responses(t, 1)
    return second.body


async def test_every_step_of_a_handler_runs_in_the_connections_task(open_conn: Open) -> None:
    seen: list[tuple[asyncio.Task[object] | None, asyncio.Task[object] | None]] = []

    async def handler(req: Request, w: Writer, span: Span) -> None:
        before = asyncio.current_task()
        await asyncio.sleep(0)
        seen.append((before, asyncio.current_task()))
        w.respond(b"ok", "text/plain")

    conn, t = open_conn(handler)
    for _ in range(3):
        t.feed(get())
        (resp,), _ = await read_responses(t, 1)
        assert resp.body == b"ok"
        await settle()
    task = conn.handler_task
    assert task is not None
    assert seen == [(task, task)] * 3


async def test_a_handler_that_waits_is_finished_by_the_task(open_conn: Open) -> None:
    release: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def waits(req: Request, w: Writer) -> None:
        w.respond(await release, "text/plain")

    async def answer_later() -> None:
        await settle()
        release.set_result(b"released")

    later = asyncio.ensure_future(answer_later())
    assert await second_response(open_conn, waits) == b"released"
    await later


@pytest.mark.parametrize("delay", [0.0, 0.01])
async def test_timeout_in_a_handler_expires_into_timeout_error(
    open_conn: Open, delay: float
) -> None:
    # A zero delay expires before the task has taken the handler over.
    async def slow(req: Request, w: Writer) -> None:
        try:
            async with asyncio.timeout(delay):
                await asyncio.sleep(BOUND * 2)
        except TimeoutError:
            w.respond(b"timed out", "text/plain")

    assert await second_response(open_conn, slow) == b"timed out"


@pytest.mark.parametrize(
    "first_wait",
    [pytest.param(BOUND * 2, id="a-future-to-cancel"), pytest.param(0.0, id="a-bare-yield")],
)
async def test_a_cancellation_before_the_task_takes_over_reaches_the_handler(
    open_conn: Open, first_wait: float
) -> None:
    # sleep(0) is a bare yield: no future for the cancellation, so it is thrown in.
    async def cancels_itself(req: Request, w: Writer) -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        try:
            await asyncio.sleep(first_wait)
            await asyncio.sleep(BOUND * 2)
        except asyncio.CancelledError:
            task.uncancel()
            w.respond(b"cancelled", "text/plain")

    assert await second_response(open_conn, cancels_itself) == b"cancelled"


async def test_context_variables_carry_across_the_hand_over(open_conn: Open) -> None:
    async def sets_and_waits(req: Request, w: Writer) -> None:
        REQUEST_ID.set("r2")
        await asyncio.sleep(0)
        w.respond(REQUEST_ID.get().encode(), "text/plain")

    assert await second_response(open_conn, sets_and_waits) == b"r2"
    assert REQUEST_ID.get() == "-"  # the test's own context is untouched


async def test_an_exception_after_the_hand_over_is_a_500(open_conn: Open) -> None:
    async def fails_later(req: Request, w: Writer) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("boom")

    body = await second_response(open_conn, fails_later)
    assert body == b"Internal Server Error"


async def test_cancelled_error_out_of_a_first_step_closes_the_connection(
    open_conn: Open,
) -> None:
    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        if req.path == "/warm":
            w.respond(b"warm", "text/plain")
            return
        raise asyncio.CancelledError

    _, t = open_conn(dispatch)
    t.feed(get(b"/warm"))
    await read_responses(t, 1)
    await settle()
    t.feed(get(b"/gone"))
    await wait_closed(t.closed)
    # Closed, not left waiting: nothing else would have answered the next request.
    assert t.take() == b""


async def test_graceful_drain_waits_for_a_handed_over_handler(open_conn: Open) -> None:
    registry = ConnectionRegistry()
    release = asyncio.Event()
    started = asyncio.Event()

    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        if req.path == "/slow":
            started.set()
            await release.wait()
        w.respond(b"done", "text/plain")

    conn, t = open_conn(dispatch, registry=registry)
    t.feed(get())
    await read_responses(t, 1)
    await settle()
    t.feed(get(b"/slow"))
    await asyncio.wait_for(started.wait(), BOUND)
    conn.shutdown()
    t.feed_eof()  # the client goes away too; the handler still runs
    await settle()
    assert conn in registry.connections  # the drain would still wait for it
    release.set()
    await settle()
    assert conn not in registry.connections


async def test_drain_waits_for_a_handler_lost_before_the_task_took_it_over(
    open_conn: Open,
) -> None:
    registry = ConnectionRegistry()
    release = asyncio.Event()

    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        if req.path == "/slow":
            await release.wait()
        w.respond(b"done", "text/plain")

    conn, t = open_conn(dispatch, registry=registry)
    t.feed(get())
    await read_responses(t, 1)
    await settle()
    t.feed(get(b"/slow"))
    # One loop iteration: the handler has stopped in its first step and the task has
    # not taken it over yet when the client leaves.
    await asyncio.sleep(0)
    t.feed_eof()
    assert conn in registry.connections
    await settle()
    assert conn in registry.connections
    release.set()
    await settle()
    assert conn not in registry.connections


async def test_a_request_read_whole_is_answered_one_loop_iteration_later(
    open_conn: Open,
) -> None:
    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        w.respond(await req.body(), "text/plain")

    _, t = open_conn(dispatch)
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst")
    await read_responses(t, 1)
    await settle()
    # Head and body in one read: nothing runs inside the read itself (the client keeps
    # a second batch in flight); the handler starts in the next loop iteration with
    # its whole body there, and answers in that one step.
    t.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nsecond")
    assert t.take() == b""
    await asyncio.sleep(0)
    assert t.take().endswith(b"\r\n\r\nsecond")


async def test_a_request_whose_client_left_before_its_handler_started_is_not_run(
    open_conn: Open,
) -> None:
    registry = ConnectionRegistry()
    ran: list[str] = []

    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        ran.append(req.path)
        w.respond(b"done", "text/plain")

    conn, t = open_conn(dispatch, registry=registry)
    t.feed(get(b"/warm"))
    await read_responses(t, 1)
    await settle()
    t.feed(get(b"/late"))
    t.feed_eof()  # in the same loop iteration: nobody is left to answer
    await settle()
    assert ran == ["/warm"]
    assert conn not in registry.connections
    task = conn.handler_task
    assert task is not None
    assert task.done()


async def test_pipelined_requests_behind_a_waiting_handler_keep_their_order(
    open_conn: Open,
) -> None:
    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        if req.path == "/a":
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        w.respond(req.path.encode(), "text/plain")

    _, t = open_conn(dispatch)
    t.feed(get(b"/warm"))
    await read_responses(t, 1)
    await settle()
    t.feed(get(b"/a") + get(b"/b") + get(b"/c"))
    responses, _ = await read_responses(t, 3)
    assert [r.body for r in responses] == [b"/a", b"/b", b"/c"]


async def test_requests_read_in_one_iteration_all_start_in_the_next(open_conn: Open) -> None:
    registry = ConnectionRegistry()
    transports = [open_conn(echo_path, registry=registry)[1] for _ in range(3)]
    for t in transports:
        t.feed(get(b"/warm"))
        await read_responses(t, 1)
    await settle()
    for i, t in enumerate(transports):
        t.feed(get(b"/%d" % i))
    assert [t.take() for t in transports] == [b"", b"", b""]
    await asyncio.sleep(0)
    assert [t.take().rsplit(b"\r\n\r\n", 1)[1] for t in transports] == [b"/0", b"/1", b"/2"]


def test_a_handler_that_stops_the_loop_leaves_the_others_of_its_iteration_started(
    open_conn: Open,
) -> None:
    # SystemExit out of a handler ends run_until_complete(); the requests that came in
    # the same loop iteration still start when the loop runs again.
    async def dispatch(req: Request, w: Writer, span: Span) -> None:
        if req.path == "/exit":
            raise SystemExit(3)
        w.respond(req.path.encode(), "text/plain")

    transports: list[MemoryTransport] = []

    async def warm_then_send() -> None:
        registry = ConnectionRegistry()
        for _ in range(2):
            _, t = open_conn(dispatch, registry=registry)
            t.feed(get(b"/warm"))
            await read_responses(t, 1)
            transports.append(t)
        await settle()
        transports[0].feed(get(b"/exit"))
        transports[1].feed(get(b"/other"))
        await asyncio.sleep(BOUND)

    async def answered() -> bytes:
        (resp,), _ = await read_responses(transports[1], 1)
        return resp.body

    loop = asyncio.new_event_loop()
    try:
        main = loop.create_task(warm_then_send())
        with pytest.raises(SystemExit):
            loop.run_until_complete(main)
        assert loop.run_until_complete(answered()) == b"/other"
        main.cancel()
        for t in transports:
            t.feed_eof()
        loop.run_until_complete(settle())
    finally:
        loop.close()
