"""``ResponseParser``: a strict, sans-IO HTTP/1.1 response parser for the test client.

It is deliberately independent of the server's request parser and stricter than a
browser: a framing mistake by the server fails the test instead of being papered over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, TypeAlias

from stario.testing.errors import ProtocolError

__all__ = ["END", "EndOfMessage", "Event", "ResponseHead", "ResponseParser"]

# Generous: the server's own heads are small; this only stops a runaway buffer.
_HEAD_LIMIT: Final = 1024 * 1024
_CHUNK_LINE_LIMIT: Final = 1024

# RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
_STATUS_LINE: Final = re.compile(rb"HTTP/(\d)\.(\d) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?")
# RFC 9110 §5.1, §5.5: token ":" OWS field-value OWS; no whitespace before the colon.
_FIELD_LINE: Final = re.compile(
    rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e\x80-\xff]*?)[ \t]*"
)
# RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF.
_CHUNK_HEADER: Final = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?")


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """A response's status line and headers (names as the server sent them)."""

    status_code: int
    reason: str
    http_version: str
    raw_headers: list[tuple[bytes, bytes]]

    @property
    def interim(self) -> bool:
        """A 1xx answer that a final response follows (101 ends HTTP instead)."""
        return 100 <= self.status_code < 200 and self.status_code != 101


class EndOfMessage:
    """The response is complete (its body, if any, was fully delivered)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "END"


END: Final = EndOfMessage()
Event: TypeAlias = ResponseHead | bytes | EndOfMessage

_IDLE, _HEAD, _FIXED, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILERS, _UNTIL_CLOSE = range(8)


class ResponseParser:
    """Turns response bytes into ``ResponseHead``, body ``bytes`` and ``END`` events.

    Call ``begin(method)`` before each response: the request method decides whether
    a body follows (RFC 9112 §6.3: never for HEAD). Between responses the parser is
    idle and keeps later bytes unparsed, so pipelined answers are read one by one.
    """

    __slots__ = ("_buf", "_method", "_remaining", "_state", "_total")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._state = _IDLE
        self._method = "GET"
        self._remaining = 0
        self._total = 0

    @property
    def idle(self) -> bool:
        """No response is being parsed (``begin`` starts the next one)."""
        return self._state == _IDLE

    def begin(self, method: str) -> None:
        """Expect the response to a ``method`` request."""
        if self._state != _IDLE:
            raise ProtocolError("the previous response is not complete yet")
        self._method = method.upper()
        self._state = _HEAD

    def take_unparsed(self) -> bytes:
        """Remove and return the buffered bytes the parser has not consumed."""
        data = bytes(self._buf)
        self._buf.clear()
        return data

    def feed(self, data: bytes) -> list[Event]:
        """Add bytes from the server; return the events they complete."""
        self._buf += data
        events: list[Event] = []
        while self._step(events):
            pass
        return events

    def feed_eof(self) -> list[Event]:
        """The server closed the connection: finish a close-delimited body or fail."""
        state = self._state
        if state == _UNTIL_CLOSE:
            self._state = _IDLE
            return [END]
        if state == _HEAD:
            if self._buf:
                raise ProtocolError("the connection closed in the middle of a response head")
            raise ProtocolError("the server closed the connection without a response")
        if state == _FIXED:
            got = self._total - self._remaining
            raise ProtocolError(
                f"the connection closed after {got} of {self._total} body bytes (truncated)"
            )
        if state != _IDLE:
            raise ProtocolError("the connection closed inside a chunked body (truncated)")
        return []

    # --- states -----------------------------------------------------------------------

    def _step(self, events: list[Event]) -> bool:
        state = self._state
        if state == _HEAD:
            return self._head(events)
        if state in (_FIXED, _CHUNK_DATA, _UNTIL_CLOSE):
            return self._data(events)
        if state == _CHUNK_SIZE:
            return self._chunk_size(events)
        if state == _CHUNK_CRLF:
            return self._chunk_crlf()
        if state == _TRAILERS:
            return self._trailer(events)
        return False

    def _head(self, events: list[Event]) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > _HEAD_LIMIT:
                raise ProtocolError(f"response head longer than {_HEAD_LIMIT} bytes")
            return False
        block = bytes(self._buf[:end])
        del self._buf[: end + 4]
        head = _parse_head(block)
        events.append(head)
        if not head.interim:
            self._framing(head, events)
        return True

    def _framing(self, head: ResponseHead, events: list[Event]) -> None:
        status = head.status_code
        # RFC 9112 §6.3 (1): these never have content, whatever the headers say.
        if self._method == "HEAD" or status < 200 or status in (204, 304):
            self._finish(events)
            return
        te = [v for n, v in head.raw_headers if n.lower() == b"transfer-encoding"]
        cl = [v for n, v in head.raw_headers if n.lower() == b"content-length"]
        if te and cl:
            raise ProtocolError("response has both Transfer-Encoding and Content-Length")
        if te:
            codings = [c.strip().lower() for v in te for c in v.split(b",")]
            if codings != [b"chunked"]:
                raise ProtocolError(f"unsupported response Transfer-Encoding {te!r}")
            self._state = _CHUNK_SIZE
        elif cl:
            if len(cl) > 1 or not cl[0].isdigit():
                raise ProtocolError(f"invalid response Content-Length {cl!r}")
            self._total = self._remaining = int(cl[0])
            self._state = _FIXED
            if not self._remaining:
                self._finish(events)
        else:
            self._state = _UNTIL_CLOSE  # RFC 9112 §6.3 (8): read until the server closes

    def _data(self, events: list[Event]) -> bool:
        if not self._buf:
            return False
        if self._state == _UNTIL_CLOSE:
            events.append(self.take_unparsed())
            return False
        piece = bytes(self._buf[: self._remaining])
        del self._buf[: len(piece)]
        self._remaining -= len(piece)
        events.append(piece)
        if not self._remaining:
            if self._state == _FIXED:
                self._finish(events)
            else:
                self._state = _CHUNK_CRLF
        return True

    def _line(self, limit: int) -> bytes | None:
        end = self._buf.find(b"\r\n")
        if end < 0:
            if len(self._buf) > limit:
                raise ProtocolError("chunk framing line too long")
            return None
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        return line

    def _chunk_size(self, events: list[Event]) -> bool:
        line = self._line(_CHUNK_LINE_LIMIT)
        if line is None:
            return False
        match = _CHUNK_HEADER.fullmatch(line)
        if match is None:
            raise ProtocolError(f"invalid chunk size line {line!r}")
        size = int(match.group(1), 16)
        self._remaining = size
        self._state = _CHUNK_DATA if size else _TRAILERS
        return True

    def _chunk_crlf(self) -> bool:
        if len(self._buf) < 2:
            return False
        if self._buf[:2] != b"\r\n":
            raise ProtocolError("chunk data is not followed by CRLF (wrong chunk size)")
        del self._buf[:2]
        self._state = _CHUNK_SIZE
        return True

    def _trailer(self, events: list[Event]) -> bool:
        line = self._line(_HEAD_LIMIT)
        if line is None:
            return False
        if not line:
            self._finish(events)
        elif _FIELD_LINE.fullmatch(line) is None:
            raise ProtocolError(f"invalid trailer field {line!r}")
        return True

    def _finish(self, events: list[Event]) -> None:
        self._state = _IDLE
        events.append(END)


def _parse_head(block: bytes) -> ResponseHead:
    lines = block.split(b"\r\n")
    match = _STATUS_LINE.fullmatch(lines[0])
    if match is None:
        raise ProtocolError(f"invalid status line {lines[0]!r}")
    major, minor, status, reason = match.groups()
    if major != b"1":
        raise ProtocolError(f"unsupported HTTP version in {lines[0]!r}")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        field = _FIELD_LINE.fullmatch(line)
        if field is None:
            # Also catches obs-fold (RFC 9112 §5.2) and bare CR or LF inside a line.
            raise ProtocolError(f"invalid header line {line!r}")
        headers.append((field.group(1), field.group(2)))
    return ResponseHead(
        int(status),
        (reason or b"").decode("latin-1"),
        f"{major.decode()}.{minor.decode()}",
        headers,
    )
