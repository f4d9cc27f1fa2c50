"""Request parsing: bytes in, events out. The only module that imports httptools.

``RequestParser`` is sans-IO: ``feed(data)`` returns the events that the bytes
completed, in order. It enforces the head cap (431), the body cap (413) and the
framing rules of RFC 9112 that llhttp leaves to the server (Host, Transfer-Encoding,
HTTP version, upgrades). After a ``Reject`` the parser is dead: the connection
answers the rejection once earlier requests are answered, then closes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import httptools

__all__ = ["END", "EndOfMessage", "Event", "Reject", "RequestHead", "RequestParser"]


class RequestHead:
    """A parsed request line and header block."""

    __slots__ = (
        "chunked",
        "content_length",
        "expect_continue",
        "has_body",
        "headers",
        "host",
        "keep_alive",
        "method",
        "target",
        "version",
    )

    def __init__(
        self,
        method: str,
        target: bytes,
        version: str,
        headers: list[tuple[bytes, bytes]],
        keep_alive: bool,
        content_length: int | None,
        chunked: bool,
        expect_continue: bool,
        host: bytes | None = None,
    ) -> None:
        self.method = method
        self.host = host
        self.target = target
        self.version = version
        self.headers = headers
        self.keep_alive = keep_alive
        self.content_length = content_length
        self.chunked = chunked
        self.expect_continue = expect_continue
        # Whether body bytes follow this head.
        self.has_body = chunked or bool(content_length)


class EndOfMessage:
    """The body of the current request is complete."""

    __slots__ = ()


END: Final = EndOfMessage()


class Reject:
    """The request stream is broken: answer ``status`` and close the connection."""

    __slots__ = ("reason", "status")

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason

    def __repr__(self) -> str:
        return f"Reject({self.status}, {self.reason!r})"


Event = RequestHead | bytes | EndOfMessage | Reject


class _Stop(Exception):
    """Raised inside a parser callback to stop llhttp at once."""


# RFC 9112 §3.2 / RFC 3986 §3.2.2: uri-host [ ":" port ]; reg-name, IPv4 or IP-literal.
_HOST_RE: Final = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::[0-9]*)?")
# PERF: the common methods as one shared string each. Decoding made a new string per
# request, which routing and the tracers then hashed again.
_METHODS: Final = {
    name.encode("ascii"): name
    for name in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
}
# The head on the wire is "METHOD SP target SP HTTP/1.1 CRLF", the header lines and a
# final CRLF; the method and target are counted separately.
_HEAD_OVERHEAD: Final = len(" ") * 2 + len("HTTP/1.1\r\n") + len("\r\n")


class RequestParser:
    """Feeds bytes to llhttp and turns its callbacks into a list of events."""

    __slots__ = (
        "_body_seen",
        "_events",
        "_feed_data",
        "_get_method",
        "_head",
        "_head_bytes",
        "_head_raw",
        "_headers",
        "_in_head",
        "_in_trailers",
        "_keep_alive",
        "_line_bytes",
        "_line_data",
        "_max_body",
        "_max_head",
        "_parser",
        "_reject",
        "_trailer_bytes",
        "_upgrade",
        "_url",
        "_valid_host",
        "dead",
    )

    def __init__(self, max_head: int, max_body: int) -> None:
        self._max_head = max_head
        self._max_body = max_body
        parser = self._parser = httptools.HttpRequestParser(self)
        # PERF: bound once; each call by name would look the method up on every request.
        self._feed_data: Callable[[bytes], None] = parser.feed_data
        self._get_method: Callable[[], bytes] = parser.get_method
        self._upgrade: Callable[[], bool] = parser.should_upgrade
        self._keep_alive: Callable[[], bool] = parser.should_keep_alive
        self._events: list[Event] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._url = b""
        self._head: RequestHead | None = None
        # Exact count from complete head lines, and a lower bound from raw bytes that
        # also covers a single endless line llhttp is still buffering (head or trailers).
        self._head_bytes = 0
        self._line_bytes = 0
        self._head_raw = 0
        self._in_head = True
        self._body_seen = 0
        # SECURITY: trailer fields are discarded but still bounded by the head cap, or a
        # peer could stream one endless trailer line into httptools' buffer.
        self._in_trailers = False
        self._trailer_bytes = 0
        self._reject: Reject | None = None
        self._valid_host: bytes | None = None
        # The chunk being fed, while a head may start at its first byte (see _version).
        self._line_data: bytes | None = None
        self.dead = False

    @property
    def head_pending(self) -> bool:
        """Bytes of an unfinished request head have arrived (the header timer runs)."""
        return self._in_head and (self._head_raw > 0 or bool(self._url))

    def feed(self, data: bytes) -> list[Event]:
        """Parse ``data`` and return the events it completed."""
        if self.dead:
            return []
        if self._in_head or self._in_trailers:
            if self._in_head and not self._head_raw and not self._url:
                self._line_data = data
            self._head_raw += len(data)
        try:
            self._feed_data(data)
        except _Stop:
            pass
        except httptools.HttpParserCallbackError:
            if self._reject is None:  # pragma: no cover - our callbacks only raise _Stop
                self._fail(400, "invalid request")
        except httptools.HttpParserUpgrade:
            self._fail(400, "protocol upgrades are not supported")
        except httptools.HttpParserInvalidMethodError:
            self._fail(400, "invalid request method")
        except httptools.HttpParserError as exc:
            self._parse_error(str(exc))
        self._line_data = None
        if (self._in_head or self._in_trailers) and self._head_raw > self._max_head:
            self._fail(431, "request header fields too large")
        events = self._events
        if self._reject is not None and not self.dead:
            events.append(self._reject)
            self.dead = True
        self._events = []
        return events

    def _parse_error(self, message: str) -> None:
        if "HTTP version" in message:
            self._fail(505, "HTTP version not supported")
        elif "Content-Length overflow" in message:
            self._fail(413, "content too large")
        else:
            self._fail(400, message)

    def _fail(self, status: int, reason: str) -> None:
        if self._reject is None:
            self._reject = Reject(status, reason)

    def _stop(self, status: int, reason: str) -> None:
        self._fail(status, reason)
        raise _Stop

    # --- llhttp callbacks -------------------------------------------------------------

    def on_url(self, url: bytes) -> None:
        self._url += url
        # PERF: the request line's share of the head, measured once, not per header.
        # Exact for canonical formatting ("Name: value"), so a head of exactly the cap
        # passes.
        self._line_bytes = len(self._get_method()) + len(self._url) + _HEAD_OVERHEAD
        if len(self._url) > self._max_head:
            self._stop(431, "request header fields too large")

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._in_head:
            # RFC 9112 §7.1.2: trailer fields are not merged into the head.
            self._trailer_bytes += len(name) + len(value) + len(": \r\n")
            if self._trailer_bytes > self._max_head:
                self._stop(431, "request header fields too large")
            return
        self._head_bytes += len(name) + len(value) + len(": \r\n")
        if self._head_bytes + self._line_bytes > self._max_head:
            self._stop(431, "request header fields too large")
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        # A head with no header lines is only measured here (on_url measured its line).
        if self._line_bytes + self._head_bytes > self._max_head:
            self._stop(431, "request header fields too large")
        raw_method = self._get_method()
        version = self._version(raw_method)
        method = _METHODS.get(raw_method)
        if method is None:
            method = raw_method.decode("ascii")
        if version not in ("1.1", "1.0"):
            if version == "0.9":
                self._stop(400, "HTTP/0.9 is not supported")
            self._stop(505, "HTTP version not supported")
        if self._upgrade() or method == "CONNECT":
            self._stop(400, "protocol upgrades are not supported")
        head = self._build_head(method, version, self._keep_alive())
        self._in_head = False
        self._head_raw = 0
        self._body_seen = 0
        if head.content_length is not None and head.content_length > self._max_body:
            self._stop(413, "content too large")
        self._head = head
        self._events.append(head)

    def _version(self, method: bytes) -> str:
        """The request's HTTP version: ``"1.1"``, ``"1.0"`` or what llhttp parsed."""
        # PERF: httptools formats a new string for every get_http_version(). When this
        # head began at the first byte of the chunk being fed, the request line is at
        # its start and the version's place is known from the method and target: look
        # there. Anything else (another version, a head that began elsewhere, so the
        # bytes there are not "HTTP/1.x\r\n") goes the long way.
        data = self._line_data
        if data is not None:
            self._line_data = None  # a second head in the same chunk starts further on
            at = len(method) + len(self._url) + 2
            version = data[at : at + 10]
            if version == b"HTTP/1.1\r\n":
                return "1.1"
            if version == b"HTTP/1.0\r\n":
                return "1.0"
        return self._parser.get_http_version()

    def _build_head(self, method: str, version: str, keep_alive: bool) -> RequestHead:
        hosts = 0
        host: bytes | None = None
        content_length: int | None = None
        chunked = False
        expect = False
        for name, value in self._headers:
            lname = name.lower()
            if lname == b"host":
                hosts += 1
                host = value.strip()
                # PERF: a keep-alive client repeats its Host; validate each value once.
                if host != self._valid_host:
                    if _HOST_RE.fullmatch(host) is None:
                        self._stop(400, "invalid Host header")
                    self._valid_host = host
            elif lname == b"content-length":
                content_length = int(value)  # llhttp already rejected non-digits.
            elif lname == b"transfer-encoding":
                # SECURITY: only plain "chunked" frames a request body we can trust.
                if value.strip().lower() != b"chunked":
                    self._stop(400, "unsupported Transfer-Encoding")
                chunked = True
            elif lname == b"expect":
                if value.strip().lower() != b"100-continue":
                    self._stop(417, "unsupported expectation")
                # RFC 9110 §10.1.1: a 100-continue from an HTTP/1.0 client is ignored.
                expect = version == "1.1"
        if hosts > 1 or (hosts == 0 and version == "1.1"):
            self._stop(400, "an HTTP/1.1 request needs exactly one Host header")
        if chunked and version == "1.0":
            keep_alive = False  # RFC 9112 §6.1: close after a 1.0 request with chunking.
        return RequestHead(
            method,
            self._url,
            version,
            self._headers,
            keep_alive,
            content_length,
            chunked,
            expect,
            host,
        )

    def on_chunk_header(self) -> None:
        # Until data arrives this may be the last chunk, whose trailer section follows.
        self._in_trailers = True
        self._trailer_bytes = 0
        self._head_raw = 0

    def on_chunk_complete(self) -> None:
        self._in_trailers = False

    def on_body(self, body: bytes) -> None:
        self._in_trailers = False
        self._body_seen += len(body)
        if self._body_seen > self._max_body:
            self._stop(413, "content too large")
        self._events.append(body)

    def on_message_complete(self) -> None:
        self._events.append(END)
        # PERF: the state for the next message is reset here, so llhttp needs no
        # on_message_begin callback (one Python call less per request).
        self._in_head = True
        self._head_raw = 0
        self._head_bytes = 0
        self._line_bytes = 0
        self._url = b""
        self._headers = []
