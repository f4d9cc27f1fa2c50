"""``Writer``: how a handler answers, one shot or streamed."""

from __future__ import annotations

from typing import Protocol

from stario.errors import StarioError
from stario.headers import Headers
from stario.http.wire import CHUNKED_END, DATE, NO_BODY_STATUSES, encode_chunk, status_line

__all__ = ["Sink", "Writer"]

# Framing modes, decided once when the head is written.
_FIXED, _CHUNKED, _UNTIL_CLOSE, _NONE = 0, 1, 2, 3
# Headers the framing owns; a handler's values for these are replaced in respond().
_FRAMING = frozenset({"content-length", "transfer-encoding", "content-type", "connection"})
_STREAM_SKIP = frozenset({"transfer-encoding", "connection"})
# RFC 9110 §8.6: a 1xx or 204 response never carries Content-Length.
_NO_CONTENT_SKIP = _STREAM_SKIP | {"content-length"}


class Sink(Protocol):
    """Where a ``Writer`` sends bytes: one exchange on one connection."""

    def send(self, data: bytes) -> None:
        """Queue ``data`` for the peer."""

    def finish(self, data: bytes) -> None:
        """Queue the last bytes of the response; the exchange is complete."""

    async def drain(self) -> None:
        """Wait until the transport wants more data."""

    def abort(self) -> None:
        """Close the connection without finishing the response framing."""

    def keep_alive(self, framing_allows: bool) -> bool:
        """Decide, once when the head is built, whether the connection is reused.

        ``framing_allows`` is False for a close-delimited body; the sink must then
        close the connection after ``finish``.
        """


class Writer:
    """Writes one HTTP response: ``respond()`` at once, or ``write_headers``/``write``/``end``.

    ``headers`` may be changed until the head is sent (``started``). A body of known
    size goes out with ``content-length``; a streamed one is chunked (close-delimited
    for HTTP/1.0 clients). HEAD requests and 1xx/204/304 answers never carry a body.
    """

    __slots__ = (
        "_declared",
        "_framing",
        "_head_only",
        "_http10",
        "_sent",
        "_sink",
        "completed",
        "headers",
        "started",
        "status_code",
    )

    def __init__(self, sink: Sink, *, head_only: bool = False, http10: bool = False) -> None:
        self._sink = sink
        self._head_only = head_only
        self._http10 = http10
        self.headers = Headers()
        self.status_code = 200
        self.started = False
        self.completed = False
        self._framing = _NONE
        self._declared = -1
        self._sent = 0

    def respond(self, body: bytes | str, content_type: str, status: int = 200) -> None:
        """Send a whole response: status, ``content-type``, ``content-length`` and body."""
        self._check_not_started()
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.status_code = status
        if status in NO_BODY_STATUSES:
            framing = b""
            data = b""
        else:
            framing = b"content-type: %b\r\ncontent-length: %d\r\n" % (
                content_type.encode("latin-1"),
                len(data),
            )
        head = self._head(status, framing, skip=_FRAMING)
        self.started = self.completed = True
        self._sink.finish(head if self._head_only else head + data)

    def write_headers(self, status: int | None = None) -> None:
        """Send the head now and choose the framing for the streamed body."""
        self._check_not_started()
        if status is not None:
            self.status_code = status
        status = self.status_code
        declared = self.headers.get("content-length")
        extra = b""
        skip = _STREAM_SKIP
        if status in NO_BODY_STATUSES:
            self._framing = _NONE
            if status != 304:  # a 304 may state the size of the 200 body it stands for
                skip = _NO_CONTENT_SKIP
        elif declared is not None:
            self._framing = _FIXED
            self._declared = _parse_length(declared)
        elif self._head_only:
            self._framing = _NONE
        elif self._http10:
            self._framing = _UNTIL_CLOSE
        else:
            self._framing = _CHUNKED
            extra = b"transfer-encoding: chunked\r\n"
        self.started = True
        self._sink.send(self._head(status, extra, skip=skip))

    def write(self, data: bytes | str) -> None:
        """Send a piece of the body (starts the response with chunked framing if needed)."""
        if not self.started:
            self.write_headers()
        if self.completed:
            raise StarioError("write() after the response was completed")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if data:
            self._sink.send(self._frame(data))

    async def drain(self) -> None:
        """Wait for transport backpressure to clear (call between large writes)."""
        await self._sink.drain()

    def end(self, data: bytes | str | None = None) -> None:
        """Finish the response, optionally with a last piece of body."""
        if self.completed:
            return
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not self.started:
            if self.status_code not in NO_BODY_STATUSES:
                self.headers.set("content-length", str(len(data or b"")))
            self.write_headers()
        tail = self._frame(data) if data else b""
        if self._framing == _CHUNKED:
            tail += CHUNKED_END
        elif self._framing == _FIXED and self._sent != self._declared:
            self.abort()
            raise StarioError(
                f"content-length declared {self._declared} bytes but {self._sent} were written",
                help="set content-length to the exact body size, or leave it out to stream",
            )
        self.completed = True
        self._sink.finish(tail)

    def abort(self) -> None:
        """Close the connection without finishing the body; the client sees truncation."""
        self.started = self.completed = True
        self._sink.abort()

    def _frame(self, data: bytes) -> bytes:
        framing = self._framing
        if framing == _CHUNKED:
            return encode_chunk(data)
        if framing == _FIXED:
            self._sent += len(data)
            if self._sent > self._declared:
                self.abort()
                raise StarioError(
                    f"body is longer than the declared content-length {self._declared}",
                    help="set content-length to the exact body size, or leave it out to stream",
                )
            return b"" if self._head_only else data
        if framing == _UNTIL_CLOSE:
            return data
        return b""

    def _head(self, status: int, extra: bytes, skip: frozenset[str]) -> bytes:
        # PERF: one join for the whole head; handler headers are rarely more than a few.
        parts = [status_line(status)]
        for name, value in self.headers.items():
            if name not in skip:
                parts.append(f"{name}: {value}\r\n".encode("latin-1"))
        parts.append(extra)
        parts.append(DATE.line())
        if not self._sink.keep_alive(self._framing != _UNTIL_CLOSE):
            parts.append(b"connection: close\r\n\r\n")
        elif self._http10:
            parts.append(b"connection: keep-alive\r\n\r\n")
        else:
            parts.append(b"\r\n")
        return b"".join(parts)

    def _check_not_started(self) -> None:
        if self.started:
            raise StarioError(
                "the response head was already sent",
                help="respond() and write_headers() may be called once per request",
            )


def _parse_length(value: str) -> int:
    if not value.isdigit():
        raise StarioError(f"invalid content-length header {value!r}", help="use a whole number")
    return int(value)
