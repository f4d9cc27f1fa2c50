"""``Writer``: how a handler answers, one shot or streamed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

from stario.compression import Codec, Compression, StreamEncoder, mark_encoded
from stario.errors import StarioError
from stario.headers import Headers, check_header
from stario.http.wire import CHUNKED_END, DATE, NO_BODY_STATUSES, encode_chunk, status_line

__all__ = ["Sink", "Writer"]

# Framing modes, decided once when the head is written.
_FIXED, _CHUNKED, _UNTIL_CLOSE, _NONE = 0, 1, 2, 3
# Headers the framing owns; a handler's values for these are replaced in respond().
_FRAMING = frozenset({"content-length", "transfer-encoding", "content-type", "connection"})
_STREAM_SKIP = frozenset({"transfer-encoding", "connection"})
# end() before the head: the handler's content-type stays, the length is computed.
_END_SKIP = _FRAMING - {"content-type"}
# RFC 9110 §8.6: a 1xx or 204 response never carries Content-Length.
_NO_CONTENT_SKIP = _STREAM_SKIP | {"content-length"}
# Content types answered with so far, as checked header lines. PERF: a known type costs
# one lookup, not a check, an encode and a format. Bounded, for types made from data.
_TYPE_LINES: Final[dict[str, bytes]] = {}
_TYPE_LINES_MAX: Final = 256


class Sink(Protocol):
    """Where a ``Writer`` sends bytes: one exchange on one connection."""

    def send(self, data: bytes) -> None:
        """Queue ``data`` for the peer."""

    def finish(self, data: bytes) -> None:
        """Queue the last bytes of the response; the exchange is complete."""

    async def drain(self) -> None:
        """Wait until the transport wants more data (and offloaded work is sent)."""

    def offload(
        self, work: Callable[[], bytes], then: Callable[[bytes], bytes] | None = None
    ) -> None:
        """Run ``work`` in a worker thread; send its bytes (mapped by ``then`` on the loop).

        What is sent or finished after this call waits for ``work``, so bytes keep
        their order.
        """

    def abort(self) -> None:
        """Close the connection without finishing the response framing."""

    def accept_encoding(self) -> str | None:
        """The request's ``Accept-Encoding`` value, or None when it sent none."""

    def keep_alive(self, framing_allows: bool) -> bool:
        """Decide, once when the head is built, whether the connection is reused.

        ``framing_allows`` is False for a close-delimited body; the sink must then
        close the connection after ``finish``.
        """


class _Detached:
    """The sink of a writer whose response is complete: nothing reaches a connection."""

    __slots__ = ()

    def send(self, data: bytes) -> None:
        raise StarioError("the response is complete; nothing more can be sent")

    def finish(self, data: bytes) -> None:
        raise StarioError("the response is complete; nothing more can be sent")

    async def drain(self) -> None:
        return None

    def offload(
        self, work: Callable[[], bytes], then: Callable[[bytes], bytes] | None = None
    ) -> None:
        raise StarioError("the response is complete; nothing more can be sent")

    def abort(self) -> None:
        return None  # too late to cut a response that was sent whole

    def accept_encoding(self) -> str | None:
        return None

    def keep_alive(self, framing_allows: bool) -> bool:
        return False


_DETACHED: Final = _Detached()


class Writer:
    """Writes one HTTP response: ``respond()`` at once, or ``write_headers``/``write``/``end``.

    ``headers`` may be changed until the head is sent (``started``). A body of known
    size goes out with ``content-length``; a streamed one is chunked (close-delimited
    for HTTP/1.0 clients). HEAD requests and 204/304 answers never carry a body; a
    status outside 200-599 raises ``StarioError``.
    With ``compression``, qualifying bodies are compressed for the client's
    ``Accept-Encoding`` (see ``stario.compression``); streamed ones are flushed per write.
    """

    __slots__ = (
        "_compression",
        "_declared",
        "_encoder",
        "_framing",
        "_head_only",
        "_headers",
        "_http10",
        "_sent",
        "_sink",
        "completed",
        "started",
        "status_code",
    )

    def __init__(
        self,
        sink: Sink,
        head_only: bool = False,
        http10: bool = False,
        compression: Compression | None = None,
    ) -> None:
        self._sink = sink
        self._head_only = head_only
        self._http10 = http10
        self._compression = compression
        self._headers: Headers | None = None
        self.status_code = 200
        self.started = False
        self.completed = False
        self._framing = _NONE
        self._declared = -1
        self._sent = 0
        self._encoder: StreamEncoder | None = None

    @property
    def headers(self) -> Headers:
        """Response headers; change them until the head is sent, then they raise."""
        headers = self._headers
        if headers is None:
            # PERF: most answers set no header of their own; build the dict on first use.
            headers = self._headers = Headers()
            if self.started:
                headers.seal()
        return headers

    @headers.setter
    def headers(self, value: Headers) -> None:
        # Replacing them after the head went out would be lost, like changing them.
        self._check_not_started()
        self._headers = value

    def respond(self, body: bytes | str, content_type: str, status: int = 200) -> None:
        """Send a whole response: status, ``content-type``, ``content-length`` and body."""
        if self.started:
            self._check_not_started()
        data = body.encode("utf-8") if isinstance(body, str) else body
        _check_status(status)
        self.status_code = status
        compression = self._compression
        if status in NO_BODY_STATUSES or (
            compression is not None and len(data) >= compression.min_size
        ):
            self._whole(data, content_type)
            return
        # PERF: the common small answer, framed inline.
        length = b"content-length: %d\r\n" % len(data)
        head = self._head(status, length, _FRAMING, _type_line(content_type))
        self.started = self.completed = True
        self._sink.finish(head if self._head_only else head + data)

    def skip_compression(self) -> None:
        """Send this response as it is: no ``Content-Encoding``, no ``Vary`` added.

        For bodies that are already compressed, or that mix secrets with text a client
        can influence (the BREACH attack on compressed HTTPS responses).
        """
        self._compression = None

    def write_headers(self, status: int | None = None) -> None:
        """Send the head now and choose the framing for the streamed body."""
        self._check_not_started()
        if status is None:
            status = self.status_code
        _check_status(status)
        self.status_code = status
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
        else:
            if self._compression is not None:
                extra = self._start_encoder(self._compression)
            if self._head_only:
                self._framing = _NONE
            elif self._http10:
                self._framing = _UNTIL_CLOSE
            else:
                self._framing = _CHUNKED
                extra += b"transfer-encoding: chunked\r\n"
        head = self._head(status, extra, skip)
        self.started = True
        self._sink.send(head)

    def write(self, data: bytes | str) -> None:
        """Send a piece of the body (starts the response with chunked framing if needed)."""
        if not self.started:
            self.write_headers()
        if self.completed:
            raise StarioError("write() after the response was completed")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not data:
            return
        encoder = self._encoder
        if encoder is None:
            self._sink.send(self._frame(data))
        elif encoder.offloaded or len(data) > encoder.inline_limit:
            # PERF: a large piece is compressed in a thread; later pieces follow it there
            # because the encoder keeps state and the pieces must stay in order.
            encoder.offloaded = True
            self._sink.offload(lambda: self._frame_encoded(encoder.write(data)))
        else:
            self._sink.send(self._frame_encoded(encoder.write(data)))

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
                _check_status(self.status_code)  # respond() and write_headers() check theirs
                self._whole(data or b"", None)
                return
            self.write_headers()
        if self._encoder is not None:
            self._end_encoded(self._encoder, data or b"")
            return
        tail = self._frame(data) if data else b""
        if self._framing == _CHUNKED:
            tail += CHUNKED_END
        elif self._framing == _FIXED and self._sent != self._declared and not self._head_only:
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
        self._encoder = None
        self._sink.abort()

    def detach(self) -> None:
        """Let go of the sink once the response is complete; later calls touch nothing.

        The server calls it when the handler has returned. PERF: the exchange and its
        writer refer to each other; without this, every request would leave garbage
        that only the cycle collector frees.
        """
        if self.completed:
            self._sink = _DETACHED

    # --- whole bodies -------------------------------------------------------------------

    def _whole(self, data: bytes, content_type: str | None) -> None:
        """Send status, head and ``data`` at once (``content_type`` None: the handler's)."""
        status = self.status_code
        skip = _FRAMING if content_type is not None else _END_SKIP
        if status in NO_BODY_STATUSES:
            framing = b""
            data = b""
        else:
            compression = self._compression
            if compression is not None and len(data) >= compression.min_size:
                ctype = (
                    content_type if content_type is not None else self.headers.get("content-type")
                )
                codec, vary = compression.select(self.headers, ctype, self._sink.accept_encoding)
                if codec is not None:
                    self._whole_encoded(codec, data, _Shape(content_type, skip, vary))
                    return
                framing = vary + _length_framing(content_type, len(data))
            else:
                framing = _length_framing(content_type, len(data))
        head = self._head(status, framing, skip)
        self.started = self.completed = True
        self._sink.finish(head if self._head_only else head + data)

    def _whole_encoded(self, codec: Codec, data: bytes, shape: _Shape) -> None:
        self.started = self.completed = True
        sink = self._sink
        if len(data) <= codec.inline_limit:
            sink.finish(self._encoded_wire(codec.name, data, codec.compress(data), shape))
        elif self._head_only:
            # RFC 9110 §9.3.2: HEAD may leave out Content-Length; compressing a large body
            # only to measure it would waste a thread's worth of work.
            sink.finish(self._encoded_wire(codec.name, data, None, shape))
        else:
            sink.offload(
                lambda: codec.compress(data),
                lambda encoded: self._encoded_wire(codec.name, data, encoded, shape),
            )
            sink.finish(b"")

    def _encoded_wire(
        self, coding: str, data: bytes, encoded: bytes | None, shape: _Shape
    ) -> bytes:
        """Head and body of a compressed whole response (``encoded`` None: HEAD, no length)."""
        if encoded is not None and len(encoded) >= len(data):
            body = data  # compression did not pay off: send the original (Vary stays)
        else:
            mark_encoded(self.headers, coding)
            body = encoded or b""
        length = -1 if encoded is None else len(body)
        framing = shape.vary + _length_framing(shape.content_type, length)
        head = self._head(self.status_code, framing, shape.skip)
        return head if self._head_only else head + body

    # --- streamed bodies ----------------------------------------------------------------

    def _start_encoder(self, compression: Compression) -> bytes:
        """Choose the coding of a streamed body; returns a ``Vary`` line for the head."""
        headers = self.headers
        ctype = headers.get("content-type")
        codec, vary = compression.select(headers, ctype, self._sink.accept_encoding)
        if codec is not None:
            mark_encoded(headers, codec.name)
            if not self._head_only:
                self._encoder = codec.stream()
        return vary

    def _frame_encoded(self, data: bytes) -> bytes:
        return self._frame(data) if data else b""

    def _end_encoded(self, encoder: StreamEncoder, data: bytes) -> None:
        chunked = self._framing == _CHUNKED
        self.completed = True
        self._encoder = None
        if encoder.offloaded or len(data) > encoder.inline_limit:
            self._sink.offload(
                lambda: (
                    self._frame_encoded(encoder.finish(data)) + (CHUNKED_END if chunked else b"")
                )
            )
            self._sink.finish(b"")
            return
        tail = self._frame_encoded(encoder.finish(data))
        self._sink.finish(tail + CHUNKED_END if chunked else tail)

    # --- framing --------------------------------------------------------------------------

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

    def _head(
        self, status: int, extra: bytes, skip: frozenset[str], type_line: bytes = b""
    ) -> bytes:
        headers = self._headers
        own = (
            b""
            if headers is None
            else b"".join(
                [f"{n}: {v}\r\n".encode("latin-1") for n, v in headers.view() if n not in skip]
            )
        )
        if not self._sink.keep_alive(self._framing != _UNTIL_CLOSE):
            end = b"connection: close\r\n\r\n"
        elif self._http10:
            end = b"connection: keep-alive\r\n\r\n"
        else:
            end = b"\r\n"
        if headers is not None:
            headers.seal()  # later changes would be lost: make them an error
        # PERF: one join of a tuple for the whole head.
        return b"".join((status_line(status), own, type_line, extra, DATE.line(), end))

    def _check_not_started(self) -> None:
        if self.started:
            raise StarioError(
                "the response head was already sent",
                help="respond() and write_headers() may be called once per request",
            )


class _Shape:
    """How a whole response's head is built: its content type, skipped headers, Vary."""

    __slots__ = ("content_type", "skip", "vary")

    def __init__(self, content_type: str | None, skip: frozenset[str], vary: bytes) -> None:
        self.content_type = content_type
        self.skip = skip
        self.vary = vary


def _check_status(status: int) -> None:
    # RFC 9110 §15: a final answer's status is 200 to 599. 1xx answers are interim; the
    # server sends the one it uses (100 Continue) itself.
    if not 200 <= status <= 599:
        raise StarioError(
            f"invalid response status {status!r}",
            help="answer with a final status code from 200 to 599",
        )


def _type_line(content_type: str) -> bytes:
    """The ``content-type`` line; StarioError for a type that could split the head."""
    line = _TYPE_LINES.get(content_type)
    if line is None:
        # SECURITY: respond(body, "text/html\r\nset-cookie: ...") must not add a header;
        # the check also refuses characters outside latin-1.
        check_header("content-type", content_type)
        line = b"content-type: " + content_type.encode("latin-1") + b"\r\n"
        if len(_TYPE_LINES) < _TYPE_LINES_MAX:
            _TYPE_LINES[content_type] = line
    return line


def _length_framing(content_type: str | None, length: int) -> bytes:
    """``content-type`` (when given) and ``content-length`` (when known, >= 0) lines."""
    if content_type is None:
        return b"content-length: %d\r\n" % length if length >= 0 else b""
    if length < 0:
        return _type_line(content_type)
    return _type_line(content_type) + b"content-length: %d\r\n" % length


def _parse_length(value: str) -> int:
    if not value.isdigit():
        raise StarioError(f"invalid content-length header {value!r}", help="use a whole number")
    return int(value)
