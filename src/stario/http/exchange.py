"""``Exchange``: one request and its response on a connection."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from stario.compression import find_accept_encoding
from stario.http.body import NO_BODY, RequestBody
from stario.http.parser import Reject, RequestHead
from stario.request import Request
from stario.telemetry import Span
from stario.writer import Writer

if TYPE_CHECKING:
    from stario.http.connection import Connection

__all__ = ["Exchange"]


class _Job:
    """Work for a worker thread whose bytes go out in order with the rest."""

    __slots__ = ("then", "work")

    def __init__(self, work: Callable[[], bytes], then: Callable[[bytes], bytes] | None) -> None:
        self.work = work
        self.then = then


class _Finish:
    """The end of the response, queued behind offloaded work."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class Exchange:
    """A request head, its body stream, its writer and its span.

    It is the ``Sink`` of its ``Writer``: every byte the handler writes goes
    through here to the connection, which keeps responses in request order.
    """

    __slots__ = (
        "_backlog",
        "_settled",
        "body",
        "close_after",
        "conn",
        "continue_sent",
        "finished",
        "head",
        "reject",
        "request",
        "span",
        "start_ns",
        "writer",
    )

    def __init__(
        self,
        conn: Connection,
        head: RequestHead | None,
        span: Span | None,
        reject: Reject | None = None,
        start_ns: int = 0,
    ) -> None:
        self.conn = conn
        self.head = head
        self.reject = reject
        # None: the request span is started only if someone asks (`request_span()`);
        # otherwise the tracer's request recorder gets its fields at the end.
        self.span = span
        self.start_ns = start_ns
        self.close_after = reject is not None
        self.continue_sent = False
        self.finished = False
        # Bytes, jobs and the finish that wait behind a job running in a thread; None
        # while nothing is offloaded (the common case: bytes go straight out).
        self._backlog: deque[bytes | _Job | _Finish] | None = None
        self._settled: asyncio.Future[None] | None = None
        if head is None:
            self.body = NO_BODY
            self.writer = Writer(self)
            self.request: Request | None = None
            return
        self.body = RequestBody(conn, done=False) if head.has_body else NO_BODY
        # PERF: positional arguments; keyword matching costs on every request.
        self.writer = Writer(self, head.method == "HEAD", head.version == "1.0", conn.compression)
        self.request = Request(
            head.method,
            head.target,
            head.headers,
            self.body,
            head.version,
            head.keep_alive,
            conn.client,
            conn.client_port,
            "http",
            conn.lost,
            head.host,
        )
        if conn.proxy_trust is not None:  # SECURITY: opt-in; only for trusted peers
            conn.proxy_trust.apply(self.request)

    def request_span(self) -> Span:
        """The request span, started now (back-dated to the head) if it was deferred."""
        span = self.span
        if span is None:
            span = self.span = self.conn.open_request_span(self)
        return span

    # --- Sink ----------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write response bytes now (this exchange is always the one at the front)."""
        if self._backlog is not None:
            self._backlog.append(data)
            return
        self.conn.write(data)

    def finish(self, data: bytes) -> None:
        """Write the last bytes and let the connection move on."""
        if self._backlog is not None:
            self._backlog.append(_Finish(data))
            return
        if data:
            self.conn.write(data)
        self.conn.exchange_finished(self)

    async def drain(self) -> None:
        """Wait for offloaded work to be sent, then while the peer is not reading."""
        if self._backlog is not None:
            if self._settled is None:
                self._settled = self.conn.loop.create_future()
            await asyncio.shield(self._settled)
        await self.conn.drain()

    def offload(
        self, work: Callable[[], bytes], then: Callable[[bytes], bytes] | None = None
    ) -> None:
        """Run ``work`` in a worker thread; what is sent after it waits its turn."""
        job = _Job(work, then)
        if self._backlog is not None:
            self._backlog.append(job)
            return
        self._backlog = deque()
        self._run(job)

    def _run(self, job: _Job) -> None:
        future = self.conn.loop.run_in_executor(None, job.work)
        future.add_done_callback(lambda f: self._ran(job, f))

    def _ran(self, job: _Job, future: asyncio.Future[bytes]) -> None:
        if self._backlog is None:
            return  # aborted meanwhile
        error = None if future.cancelled() else future.exception()
        if error is not None:
            self.request_span().exception(error)
        if future.cancelled() or error is not None:
            self.abort()
            return
        data = future.result()
        if job.then is not None:
            data = job.then(data)
        if data:
            self.conn.write(data)
        self._pump(self._backlog)

    def _pump(self, backlog: deque[bytes | _Job | _Finish]) -> None:
        """Send what waited behind the job that just ended, up to the next job."""
        while backlog:
            item = backlog.popleft()
            if type(item) is _Job:
                if not self.conn.closed:
                    self._run(item)
                    return
            elif type(item) is _Finish:
                self._settle()
                self.finish(item.data)
                return
            elif item:
                self.conn.write(item)  # type: ignore[arg-type]
        self._settle()

    def _settle(self) -> None:
        self._backlog = None
        settled, self._settled = self._settled, None
        if settled is not None and not settled.done():
            settled.set_result(None)

    def abort(self) -> None:
        """Drop the connection; the client sees a truncated response."""
        self.close_after = True
        self._settle()
        self.conn.abort()

    def accept_encoding(self) -> str | None:
        """The request's ``Accept-Encoding`` (None for a rejected request or none sent)."""
        return None if self.head is None else find_accept_encoding(self.head.headers)

    def keep_alive(self, framing_allows: bool) -> bool:
        """Decide connection reuse when the head goes out."""
        head = self.head
        keep = (
            framing_allows
            and head is not None
            and head.keep_alive
            and self.body.received
            and not self.close_after
            and self.conn.reusable
        )
        if not keep:
            self.close_after = True
        return keep
