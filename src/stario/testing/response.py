"""``Response`` (a whole answer) and ``StreamingResponse`` (read as it arrives)."""

from __future__ import annotations

import codecs
import json as _json
from collections.abc import AsyncIterator
from typing import Any, Protocol

from stario.errors import StarioError
from stario.forms import parse_content_type
from stario.headers import Headers
from stario.testing.cookies import Cookie, parse_set_cookie
from stario.testing.decoding import content_decoder
from stario.testing.encoding import ClientRequest, origin_of
from stario.testing.errors import HTTPStatusError
from stario.testing.parser import ResponseHead
from stario.testing.sse import EventStreamParser, ServerSentEvent

__all__ = ["BodySource", "Response", "ResponseBase", "StreamingResponse"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class ResponseBase:
    """What every response has: status, headers, URL, request, history, cookies.

    ``headers`` is case-insensitive; ``raw_headers`` keeps the names as sent.
    ``informational`` lists the 1xx statuses (e.g. ``100``) received before this one.
    """

    def __init__(
        self,
        head: ResponseHead,
        *,
        url: str = "",
        request: ClientRequest | None = None,
        history: list[Response] | None = None,
        informational: list[int] | None = None,
    ) -> None:
        self.status_code = head.status_code
        self.reason_phrase = head.reason
        self.http_version = head.http_version
        self.raw_headers = head.raw_headers
        self.headers = Headers(raw=list(head.raw_headers))
        self.url = url
        self.request = request
        self.history: list[Response] = history or []
        self.informational: list[int] = informational or []

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status_code < 300

    @property
    def is_redirect(self) -> bool:
        """A 301/302/303/307/308 with a ``Location`` header."""
        return self.status_code in _REDIRECTS and "location" in self.headers

    @property
    def set_cookies(self) -> list[Cookie]:
        """The cookies this response sets (or deletes), attributes included."""
        _, host, path = origin_of(self.url)
        cookies = (parse_set_cookie(v, host, path) for v in self.headers.getlist("set-cookie"))
        return [c for c in cookies if c is not None]

    @property
    def cookies(self) -> dict[str, str]:
        """``{name: value}`` for every cookie set by this response (deletions included)."""
        return {c.name: c.value for c in self.set_cookies}

    @property
    def charset(self) -> str:
        """The ``charset`` of ``content-type``, or ``utf-8``."""
        _, params = parse_content_type(self.headers.get("content-type") or "")
        charset = params.get("charset", "utf-8")
        try:
            return codecs.lookup(charset).name
        except LookupError:
            return "utf-8"

    def raise_for_status(self) -> ResponseBase:
        """Raise ``HTTPStatusError`` for a 4xx or 5xx status; return self otherwise."""
        if self.status_code >= 400:
            kind = "client error" if self.status_code < 500 else "server error"
            message = f"{self.status_code} {self.reason_phrase} ({kind}) for {self.url}"
            raise HTTPStatusError(message, self)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code} {self.reason_phrase}]>"


class Response(ResponseBase):
    """A complete response. ``content`` is the body with any ``Content-Encoding`` undone."""

    def __init__(
        self,
        head: ResponseHead,
        content: bytes,
        *,
        url: str = "",
        request: ClientRequest | None = None,
        history: list[Response] | None = None,
        informational: list[int] | None = None,
    ) -> None:
        super().__init__(
            head, url=url, request=request, history=history, informational=informational
        )
        self.content = content

    @property
    def text(self) -> str:
        """The body decoded with ``charset`` (undecodable bytes replaced)."""
        return self.content.decode(self.charset, errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return _json.loads(self.content)

    def raise_for_status(self) -> Response:
        """Raise ``HTTPStatusError`` for a 4xx or 5xx status; return self otherwise."""
        super().raise_for_status()
        return self


class BodySource(Protocol):
    """Where a streaming response pulls its body from (the client's connection)."""

    async def next_chunk(self) -> bytes | None:
        """The next piece of the body as sent (transfer framing removed), None at the end."""
        ...

    async def close(self) -> None:
        """Disconnect; the server's handler sees the client go away."""
        ...


class StreamingResponse(ResponseBase):
    """A response whose body is read while the server is still writing it.

    Read the body once, with one of ``iter_raw()``, ``iter_bytes()``, ``iter_text()``,
    ``iter_lines()``, ``iter_events()`` or ``read()``. ``aclose()`` (or leaving the
    ``stream()`` block) disconnects, which the handler sees as the client going away.
    """

    def __init__(
        self,
        head: ResponseHead,
        source: BodySource,
        *,
        url: str = "",
        request: ClientRequest | None = None,
        history: list[Response] | None = None,
        informational: list[int] | None = None,
    ) -> None:
        super().__init__(
            head, url=url, request=request, history=history, informational=informational
        )
        self._source = source
        self._consumed = False
        self.is_closed = False

    async def iter_raw(self) -> AsyncIterator[bytes]:
        """Body pieces as they arrive, still content-encoded."""
        if self._consumed:
            raise StarioError("the response body was already read", help="read it only once")
        self._consumed = True
        while (chunk := await self._source.next_chunk()) is not None:
            yield chunk

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Body pieces as they arrive, with ``Content-Encoding`` undone."""
        decoder = content_decoder(self.headers.get("content-encoding"))
        async for raw in self.iter_raw():
            data = decoder.decode(raw)
            if data:
                yield data
        tail = decoder.flush()
        if tail:
            yield tail

    async def iter_text(self, encoding: str | None = None) -> AsyncIterator[str]:
        """Body text as it arrives (``charset`` unless ``encoding`` is given)."""
        decoder = codecs.getincrementaldecoder(encoding or self.charset)(errors="replace")
        async for data in self.iter_bytes():
            text = decoder.decode(data)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    async def iter_lines(self) -> AsyncIterator[str]:
        """Body lines as they complete, without line endings."""
        pending = ""
        async for text in self.iter_text():
            lines = (pending + text).splitlines(keepends=True)
            # A trailing CR may be half of a CRLF split across pieces: hold it back.
            pending = lines.pop() if lines and not lines[-1].endswith("\n") else ""
            for line in lines:
                yield line.rstrip("\r\n")
        if pending:
            yield pending

    async def iter_events(self) -> AsyncIterator[ServerSentEvent]:
        """Server-sent events as they are dispatched (the stream is always UTF-8)."""
        parser = EventStreamParser()
        async for text in self.iter_text("utf-8"):
            for event in parser.feed(text):
                yield event
        for event in parser.finish():
            yield event

    async def read(self) -> bytes:
        """The rest of the body, with ``Content-Encoding`` undone."""
        return b"".join([data async for data in self.iter_bytes()])

    async def aclose(self) -> None:
        """Disconnect from the server (safe to call twice)."""
        if not self.is_closed:
            self.is_closed = True
            await self._source.close()
