"""``Connection``: the asyncio protocol that moves bytes for one client.

It feeds the parser, queues exchanges so responses leave in request order, runs
one handler at a time, applies the timeouts and pauses reading when the client
sends faster than the app answers or stops reading its responses.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from asyncio.tasks import _enter_task, _leave_task
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Final, cast

from stario.compression import Compression
from stario.config import ServerConfig
from stario.context import SpanSource
from stario.errors import ClientDisconnected, HttpException
from stario.http.body import RequestBody
from stario.http.exchange import Exchange
from stario.http.parser import END, Reject, RequestHead, RequestParser
from stario.http.proxy import trust_for
from stario.http.registry import ConnectionRegistry
from stario.http.steps import Resumed
from stario.http.wire import reason_phrase
from stario.request import Request
from stario.telemetry import NOOP_SPAN, BaseTracer, NoopTracer, RequestRecorder, Span, Tracer
from stario.telemetry._recorders import Recorder
from stario.writer import Writer

__all__ = ["Connection", "Dispatch"]


Dispatch = Callable[[Request, Writer, Span | SpanSource], Awaitable[None]]

_time_ns = time.time_ns
_enter: Final = _enter_task
_leave: Final = _leave_task
_step: Final = next  # PERF: a native global; the builtin is looked up by name each time
# What next() returns for a handler whose first step finished it.
_DONE: Final = object()


async def _probe() -> None:
    pass


def _coroutines_iterate() -> bool:
    """Whether this module's coroutines are their own iterators (compiled builds)."""
    coro = _probe()
    try:
        return hasattr(coro, "__next__")
    finally:
        coro.close()


# PERF: compiled coroutines are stepped with next() directly; the interpreter's need
# their __await__() iterator.
_ITERATE: Final = _coroutines_iterate()

_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
# Unread body bytes buffered per request before reading pauses.
_BODY_HIGH_WATER: Final = 256 * 1024
# How long a closing connection keeps discarding input so the peer reads our answer.
_LINGER: Final = 2.0


class Connection(asyncio.Protocol):
    """One HTTP/1.1 client connection (TCP or Unix socket)."""

    # PERF: slots; an instance dict with this many keys loses the interpreter's
    # fast attribute lookups.
    __slots__ = (
        "_closing",
        "_config",
        "_context",
        "_deadline",
        "_dispatch",
        "_drain_waiter",
        "_head_deadline",
        "_header_timeout",
        "_idle",
        "_keep_alive",
        "_loop",
        "_lost",
        "_next",
        "_noop",
        "_own_recorder",
        "_parser",
        "_pipeline_backlog",
        "_queue",
        "_read_paused",
        "_receiving",
        "_recorder",
        "_registry",
        "_resumed",
        "_send",
        "_stall",
        "_start_pending",
        "_stepping",
        "_task",
        "_timer",
        "_timer_at",
        "_tracer",
        "_transport",
        "_write_paused",
        "client",
        "client_port",
        "compression",
        "loop",
        "lost",
        "proxy_trust",
    )

    def __init__(
        self,
        dispatch: Dispatch,
        config: ServerConfig,
        tracer: Tracer,
        registry: ConnectionRegistry | None = None,
    ) -> None:
        self._dispatch = dispatch
        self._config = config
        # PERF: read on every request; native attributes, not dataclass lookups.
        self._keep_alive: float = config.keep_alive_timeout
        self._header_timeout: float = config.header_timeout
        self._pipeline_backlog: int = config.pipeline_backlog
        self._tracer = tracer
        self._noop = type(tracer) is NoopTracer
        recorder = getattr(tracer, "request_recorder", None)
        # Set: request spans start only when the app asks for one (see Exchange).
        self._recorder: RequestRecorder | None = recorder() if callable(recorder) else None
        # PERF: the json and sqlite tracers' recorders are called on the object, not
        # through the bound method: in the compiled build a direct call that boxes
        # and parses no arguments.
        owner = getattr(self._recorder, "__self__", None)
        self._own_recorder: Recorder[Any] | None = (
            owner if isinstance(owner, Recorder) and self._recorder == owner.record else None
        )
        self._registry = registry or ConnectionRegistry()
        self._parser = RequestParser(config.max_request_header_bytes, config.max_request_body_bytes)
        self.compression = Compression.for_config(config)
        self._queue: deque[Exchange] = deque()
        self._receiving: Exchange | None = None
        self._transport: asyncio.Transport | None = None
        # transport.write, bound once (PERF: no lookup by name per response).
        self._send: Callable[[bytes], object] | None = None
        self._loop = self.loop = asyncio.get_event_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._deadline: float | None = None
        self._task: asyncio.Task[None] | None = None
        # The context the task runs in; a handler's first step run from
        # start_next() enters it too.
        self._context = contextvars.copy_context()
        self._next: Exchange | None = None
        self._idle: asyncio.Future[None] | None = None
        # A handler whose first step ran in start_next() and that must go on in
        # the task (see stario.http.steps).
        self._resumed: Resumed | None = None
        self._stepping = False
        self._start_pending = False
        self._head_deadline = False
        self._stall: asyncio.TimerHandle | None = None
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._read_paused = False
        self._closing = False
        self._lost = False
        self.lost: asyncio.Future[None] = self._loop.create_future()
        self.client = ""
        self.client_port: int | None = None
        # None unless --forwarded-allow-ips is set (parsed once per spec, cached).
        self.proxy_trust = trust_for(config.forwarded_allow_ips)

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport; they implement it.
        self._transport = transport = cast(asyncio.Transport, transport)
        self._send = transport.write
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.client, self.client_port = str(peer[0]), int(peer[1])
        elif isinstance(peer, str):
            self.client = peer or transport.get_extra_info("sockname") or "unix"
        self._registry.connections.add(self)
        if self._registry.shutting_down:
            self.close()
            return
        self._arm(self._keep_alive)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return  # lingering close: discard what the peer still sends
        parser = self._parser
        for event in parser.feed(data):
            if type(event) is bytes:
                self._receiving.body.push(event)  # type: ignore[union-attr]
            elif event is END:
                receiving = self._receiving
                if receiving is not None:
                    self._receiving = None
                    receiving.body.finish()
            elif isinstance(event, RequestHead):
                self._head_received(event)
            elif isinstance(event, Reject):
                self._rejected(event)
        if not self._queue:
            if parser.head_pending:
                # SECURITY: slowloris; the deadline runs from the first byte of the head.
                if not self._head_deadline:
                    self._arm(self._header_timeout, head=True)
            elif not parser.dead:
                self._arm(self._keep_alive)
        self._update_reading()

    def pause_writing(self) -> None:
        self._write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_drain()
        self._update_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = self._closing = True
        self._cancel_timers()
        if not self.lost.done():
            self.lost.set_result(None)
        for ex in self._queue:
            ex.body.fail(ClientDisconnected("the client closed the connection"))
        self._wake_drain()
        self._wake()
        # A handler may outlive its client; the server's drain must still wait for it.
        # A task parked waiting for the next request runs no handler.
        if self._task is None or self._task.done() or self._parked():
            self._registry.discard(self)

    # --- events from the parser -------------------------------------------------------

    def _head_received(self, head: RequestHead) -> None:
        self._cancel_timer()
        # PERF: with the noop tracer, no call at all for the request span; with a
        # request recorder, no span unless the app asks for it.
        if self._noop:
            ex = Exchange(self, head, NOOP_SPAN)
        elif self._recorder is not None:
            ex = Exchange(self, head, None, None, _time_ns())
        else:
            ex = Exchange(self, head, None)
            self.open_request_span(ex)
        self._receiving = ex if head.has_body else None
        # PERF: _enqueue() inlined; this runs for every request.
        queue = self._queue
        queue.append(ex)
        if len(queue) == 1:
            self._start(ex)

    def open_request_span(self, ex: Exchange) -> Span:
        """Start the request span of ``ex`` (back-dated to its head if deferred)."""
        head, req = ex.head, ex.request
        assert head is not None
        assert req is not None
        span = ex.span = self._tracer.start(head.method)
        if span.recording:
            if ex.start_ns:
                span.start_ns = ex.start_ns
            span.attrs(
                {
                    "request.method": head.method,
                    "request.path": req.path,
                    "http.version": head.version,
                    "client.address": req.client,  # the forwarded one when trusted
                }
            )
        return span

    def _rejected(self, reject: Reject) -> None:
        self._cancel_timer()
        ex = self._receiving
        if ex is not None:  # the body broke after its handler may have started
            ex.close_after = True
            ex.body.fail(HttpException(reject.status, reason_phrase(reject.status)))
            self._receiving = None
            return
        span = self._tracer.start("http.reject")
        span.attrs({"response.status_code": reject.status, "http.reject": reject.reason})
        self._enqueue(Exchange(self, None, span, reject))

    def _enqueue(self, ex: Exchange) -> None:
        self._queue.append(ex)
        if len(self._queue) == 1:
            self._start(ex)

    # --- running handlers ------------------------------------------------------------

    def _start(self, ex: Exchange) -> None:
        if ex.reject is not None:
            status = ex.reject.status
            ex.writer.respond(reason_phrase(status), "text/plain; charset=utf-8", status)
            ex.writer.detach()
            ex.request_span().end()
            return
        self._next = ex
        # PERF: one task per connection, not per request (task creation registers in
        # a weak set on 3.11 and copies the context each time).
        if self._task is None:
            self._task = self._loop.create_task(self._serve(), context=self._context)
            self._task.add_done_callback(self._served)
        elif self._idle is not None and not self._start_pending:
            # PERF: the task is parked; its handler starts one loop iteration later,
            # as a woken task would, but without the future and the task step.
            self._start_pending = True
            self._registry.start_soon(self)
        # else the task runs a handler now and takes this one when that one ends.

    def _parked(self) -> bool:
        """Whether the task waits for the next request, with no handler of its own."""
        return self._idle is not None and self._resumed is None and not self._stepping

    def start_next(self) -> None:
        """Run the first step of ``_next``'s handler in the name of the parked task."""
        self._start_pending = False
        ex = self._next
        if ex is None or self._lost:
            return  # the task took it, or there is no one left to answer
        idle = self._idle
        task = self._task
        if idle is None or task is None or idle.done() or self._resumed is not None:
            self._wake()
            return
        loop = self._loop
        try:
            _enter(loop, task)
        except RuntimeError:  # a task runs: loop callbacks run inside one (nested loops)
            self._wake()
            return
        self._next = None
        # PERF: next() with a default, not send(): the finished step costs no
        # StopIteration.
        coro = self._run(ex)
        steps = cast(Iterator[object], coro) if _ITERATE else coro.__await__()
        self._stepping = True
        try:
            pending = self._context.run(_step, steps, _DONE)
        except asyncio.CancelledError:
            # The handler let CancelledError out: as in the task, nothing is left to
            # answer the next request.
            if not self._lost:
                self.close()
            return
        finally:
            _leave(loop, task)
            self._stepping = False
        if pending is not _DONE:
            self._resumed = Resumed(coro, pending)
            self._wake()

    def _wake(self) -> None:
        waiter = self._idle
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _serve(self) -> None:
        try:
            while True:
                resumed = self._resumed
                if resumed is not None:
                    self._resumed = None
                    await resumed
                    continue
                if self._lost:
                    break
                ex = self._next
                if ex is None:
                    self._idle = self._loop.create_future()
                    try:
                        await self._idle
                    except asyncio.CancelledError as exc:
                        # Meant for the handler that started in start_next().
                        if self._resumed is None:
                            raise
                        self._resumed.cancel(exc)
                    finally:
                        self._idle = None
                    continue
                self._next = None
                await self._run(ex)
        finally:
            resumed, self._resumed = self._resumed, None
            if resumed is not None:
                resumed.close()
            # A handler let CancelledError out and ended this task: nothing would answer
            # the next request, so close (after what was written) instead of hanging.
            if not self._lost:
                self.close()

    def _served(self, _: asyncio.Task[None]) -> None:
        if self._lost:
            self._registry.discard(self)

    @property
    def handler_task(self) -> asyncio.Task[None] | None:
        """The task running this connection's handlers (None before the first request)."""
        return self._task

    async def _run(self, ex: Exchange) -> None:
        writer = ex.writer
        try:
            assert ex.request is not None
            await self._dispatch(ex.request, writer, ex)
            if not writer.started:
                writer.respond(b"", "text/plain", 204)
            elif not writer.completed:
                writer.end()
        except asyncio.CancelledError:
            if not writer.completed:
                writer.abort()
            raise
        except Exception as exc:  # the app already maps errors; this is the last guard
            failed = ex.request_span()
            failed.exception(exc)
            failed.fail(f"{type(exc).__name__}: {exc}")
            if writer.started:
                if not writer.completed:
                    writer.abort()
            else:
                writer.respond(b"Internal Server Error", "text/plain; charset=utf-8", 500)
        finally:
            span = ex.span
            if span is None:  # nobody asked for it: the recorder writes it from fields
                self._record(ex, writer.status_code)
            elif span is not NOOP_SPAN:
                if span.recording:
                    span.attr("response.status_code", writer.status_code)
                span.end()
            writer.detach()

    def _record(self, ex: Exchange, status: int) -> None:
        """Hand the request span of ``ex``, which nobody asked for, to the recorder."""
        head, req = ex.head, ex.request
        assert self._recorder is not None
        assert head is not None
        assert req is not None
        method, path, version = head.method, req.path, head.version
        client = req.client  # the forwarded one when trusted
        own = self._own_recorder
        try:
            if own is not None:
                own.record(method, path, version, client, status, ex.start_ns, _time_ns())
            else:
                self._recorder(method, path, version, client, status, ex.start_ns, _time_ns())
        except Exception:
            # A broken tracer costs a counter, never a request or the connection: the
            # same rule as BaseTracer applies to export().
            tracer = self._tracer
            if isinstance(tracer, BaseTracer):
                tracer.export_errors += 1

    def exchange_finished(self, ex: Exchange) -> None:
        """The response of ``ex`` is complete: serve the next request or close."""
        if ex.finished:
            return
        ex.finished = True
        if self._queue and self._queue[0] is ex:
            self._queue.popleft()
        if ex.close_after or self._lost:
            self._close_after_response(ex)
            return
        if self._queue:
            self._start(self._queue[0])
        elif self._registry.shutting_down:
            self.close()
        else:
            if self._parser.head_pending:
                self._arm(self._header_timeout, head=True)
            else:
                self._arm(self._keep_alive)
            if self._read_paused:
                self._update_reading()

    # --- body flow control (BodyOwner) -------------------------------------------------

    def body_wanted(self, body: RequestBody) -> None:
        ex = self._queue[0] if self._queue else None
        if ex is not None and ex.body is body:
            head = ex.head
            if head is not None and head.expect_continue and not ex.continue_sent:
                ex.continue_sent = True
                if not ex.writer.started:  # RFC 9110 §10.1.1: only before the final answer
                    self.write(_CONTINUE)
        if self._stall is None:
            self._stall = self._loop.call_later(
                self._config.body_read_timeout, self._body_stalled, body
            )
        self._update_reading()

    def body_settled(self, body: RequestBody) -> None:
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None

    def body_consumed(self, body: RequestBody) -> None:
        if self._read_paused:
            self._update_reading()

    def _body_stalled(self, body: RequestBody) -> None:
        self._stall = None
        for ex in self._queue:
            if ex.body is body:
                ex.close_after = True
        self._parser.dead = True  # the body framing is now unknown
        body.fail(HttpException(408, "timed out reading the request body"))

    def _update_reading(self) -> None:
        transport = self._transport
        if transport is None or self._lost:
            return
        receiving = self._receiving
        pause = (
            self._write_paused
            or len(self._queue) > self._pipeline_backlog
            or (
                receiving is not None
                and receiving.body.buffered > _BODY_HIGH_WATER
                and not receiving.body.waiting
            )
        )
        if pause != self._read_paused:
            self._read_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    # --- writing and closing ------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """The peer is gone; writes are dropped."""
        return self._lost

    @property
    def reusable(self) -> bool:
        """Whether another request may follow on this connection."""
        return not (self._closing or self._registry.shutting_down)

    def write(self, data: bytes) -> None:
        """Send bytes to the peer (dropped once the connection is gone)."""
        send = self._send
        if send is not None and not self._lost:
            send(data)

    async def drain(self) -> None:
        """Wait until the peer reads; raise ClientDisconnected if it went away."""
        if self._lost:
            raise ClientDisconnected("the client closed the connection")
        if self._write_paused:
            waiter = self._drain_waiter
            if waiter is None:
                waiter = self._drain_waiter = self._loop.create_future()
            await asyncio.shield(waiter)
            if self._lost:
                raise ClientDisconnected("the client closed the connection")

    def _wake_drain(self) -> None:
        waiter = self._drain_waiter
        self._drain_waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def shutdown(self) -> None:
        """Server shutdown: close now if idle, else after the requests already read."""
        if not self._queue:
            self.close()
        elif self._receiving is None:
            # Stop parsing new requests, but let a body that is still arriving finish:
            # its handler is in flight and must be able to read it.
            self._parser.dead = True

    def close(self) -> None:
        """Close after flushing what was written."""
        self._closing = True
        self._cancel_timers()
        if self._transport is not None and not self._lost:
            self._transport.close()

    def abort(self) -> None:
        """Close at once, dropping unsent data; cancel the running handler."""
        self._closing = True
        self._cancel_timers()
        if self._transport is not None and not self._lost:
            self._transport.abort()

    def cancel_handlers(self) -> None:
        """Cancel the running handler (forced shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _close_after_response(self, ex: Exchange) -> None:
        transport = self._transport
        if transport is None or self._lost:
            return
        if self._parser.dead or not ex.body.received:
            # Unread input may follow. Half-close and keep discarding it for a moment
            # so the peer reads our answer instead of a reset.
            self._closing = True
            if transport.can_write_eof():
                transport.write_eof()
            self._cancel_timers()
            self._timer = self._loop.call_later(_LINGER, self.close)
            self._update_reading()
            if self._read_paused:
                transport.resume_reading()
        else:
            self.close()

    # --- timers ---------------------------------------------------------------------

    def _arm(self, delay: float, *, head: bool = False) -> None:
        # PERF: requests only move the deadline; the timer handle is replaced only
        # when the new deadline is earlier than the one it is set for.
        deadline = self._loop.time() + delay
        self._deadline = deadline
        self._head_deadline = head
        if self._timer is None or deadline < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer_at = deadline
            self._timer = self._loop.call_at(deadline, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None
        deadline = self._deadline
        if deadline is None:
            return
        if self._loop.time() < deadline:
            self._timer_at = deadline
            self._timer = self._loop.call_at(deadline, self._timer_fired)
            return
        self._deadline = None
        self._timed_out()

    def _timed_out(self) -> None:
        self._timer = None
        if not self._queue:
            self.close()

    def _cancel_timer(self) -> None:
        # The handle stays armed and finds no deadline when it fires.
        self._head_deadline = False
        self._deadline = None

    def _cancel_timers(self) -> None:
        self._cancel_timer()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
