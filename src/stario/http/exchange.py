"""``Exchange``: one request and its response on a connection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stario.http.body import RequestBody
from stario.http.parser import Reject, RequestHead
from stario.request import Request
from stario.telemetry import Span
from stario.writer import Writer

if TYPE_CHECKING:
    from stario.http.connection import Connection

__all__ = ["Exchange"]


class Exchange:
    """A request head, its body stream, its writer and its span.

    It is the ``Sink`` of its ``Writer``: every byte the handler writes goes
    through here to the connection, which keeps responses in request order.
    """

    __slots__ = (
        "body",
        "close_after",
        "conn",
        "continue_sent",
        "finished",
        "head",
        "reject",
        "request",
        "span",
        "writer",
    )

    def __init__(
        self,
        conn: Connection,
        head: RequestHead | None,
        span: Span,
        reject: Reject | None = None,
    ) -> None:
        self.conn = conn
        self.head = head
        self.reject = reject
        self.span = span
        self.close_after = reject is not None
        self.continue_sent = False
        self.finished = False
        if head is None:
            self.body = RequestBody(conn, done=True)
            self.writer = Writer(self)
            self.request: Request | None = None
            return
        self.body = RequestBody(conn, done=not head.has_body)
        self.writer = Writer(self, head_only=head.method == "HEAD", http10=head.version == "1.0")
        self.request = Request(
            head.method,
            head.target,
            head.headers,
            self.body,
            http_version=head.version,
            keep_alive=head.keep_alive,
            client=conn.client,
            client_port=conn.client_port,
            disconnected=conn.lost,
            host=head.host,
        )

    # --- Sink ----------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write response bytes now (this exchange is always the one at the front)."""
        self.conn.write(data)

    def finish(self, data: bytes) -> None:
        """Write the last bytes and let the connection move on."""
        if data:
            self.conn.write(data)
        self.conn.exchange_finished(self)

    async def drain(self) -> None:
        """Wait while the peer is not reading (transport backpressure)."""
        await self.conn.drain()

    def abort(self) -> None:
        """Drop the connection; the client sees a truncated response."""
        self.close_after = True
        self.conn.abort()

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
