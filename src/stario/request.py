"""``Request``: what the client asked for. Everything is decoded lazily, on first use."""

from __future__ import annotations

import asyncio
import json as _json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote_from_bytes, unquote

from stario.cookies import parse_cookie_header
from stario.errors import HttpException, StarioError
from stario.forms import FormData, FormError, parse_content_type, parse_multipart, parse_urlencoded
from stario.headers import Headers
from stario.http.body import RequestBody
from stario.multidict import QueryParams

__all__ = ["Request"]

# Keep every printable ASCII byte as is; only raw non-ASCII bytes get %-encoded.
_PATH_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def _split_target(target: bytes) -> tuple[str, bytes]:
    """Split a request target into (raw path, query bytes)."""
    # PERF: the common "/plain/path" needs no splitting and no quoting. Checked on the
    # decoded text: bytes.find() and .startswith() parse their arguments the slow way,
    # and bytes ``in`` first builds (and discards) a TypeError.
    origin_form = target[:1] == b"/"
    if origin_form and target.isascii():
        text = target.decode("ascii")
        if "?" not in text and "#" not in text:
            return text, b""
    if origin_form:
        path, _, query = target.partition(b"?")
    elif b"://" in target:  # RFC 9112 §3.2.2 absolute-form, sent to proxies.
        rest = target.split(b"://", 1)[1]
        slash = rest.find(b"/")
        path, _, query = (rest[slash:] if slash >= 0 else b"/").partition(b"?")
    else:  # asterisk-form ("OPTIONS *") or something the router will not match.
        path, query = target, b""
    path = path.partition(b"#")[0]
    raw = path.decode("ascii") if path.isascii() else quote_from_bytes(path, safe=_PATH_SAFE)
    return raw, query.partition(b"#")[0]


def _host_name(value: bytes) -> str:
    """The host part of a Host value: lower-cased, port stripped."""
    host = value.strip().decode("latin-1").lower()
    if host.startswith("["):  # IPv6 literal: the port follows the bracket.
        return host[: host.find("]") + 1]
    return host.partition(":")[0]


class Request:
    """One HTTP request.

    ``method``, ``http_version``, ``keep_alive``, ``client`` (peer IP or socket path),
    ``client_port``, ``scheme`` and ``disconnected`` (a future) are plain attributes;
    ``path``, ``query``, ``headers``, ``host`` and ``cookies`` are parsed on first use.
    The body is read with ``await body()`` (buffered and cached), ``stream()`` (chunks,
    once), ``await json()`` or ``await form()``.
    """

    __slots__ = (
        "_body",
        "_body_bytes",
        "_cookies",
        "_form",
        "_headers",
        "_host",
        "_host_raw",
        "_path",
        "_query",
        "_query_bytes",
        "_raw_headers",
        "_raw_path",
        "_streamed",
        "_target",
        "client",
        "client_port",
        "disconnected",
        "http_version",
        "keep_alive",
        "method",
        "scheme",
    )

    def __init__(
        self,
        method: str,
        target: bytes,
        raw_headers: list[tuple[bytes, bytes]],
        body: RequestBody,
        http_version: str = "1.1",
        keep_alive: bool = True,
        client: str = "",
        client_port: int | None = None,
        scheme: str = "http",
        disconnected: asyncio.Future[None] | None = None,
        host: bytes | None = None,
    ) -> None:
        self.method = method
        self._target = target
        self._raw_headers = raw_headers
        self._body = body
        self.http_version = http_version
        self.keep_alive = keep_alive
        self.client = client
        self.client_port = client_port
        self.scheme = scheme
        # Resolves when the client goes away (shared by every request of a connection).
        self.disconnected = disconnected or asyncio.get_running_loop().create_future()
        self._raw_path: str | None = None
        self._query_bytes = b""
        self._path: str | None = None
        self._query: QueryParams | None = None
        self._headers: Headers | None = None
        # PERF: the parser hands over the Host value so routing needs no header decoding,
        # and it is decoded only when asked for.
        self._host_raw = host
        self._host: str | None = None
        self._cookies: dict[str, str] | None = None
        self._body_bytes: bytes | None = None
        self._form: FormData | None = None
        self._streamed = False

    # --- target ---------------------------------------------------------------------

    @property
    def raw_path(self) -> str:
        """The path as sent, still percent-encoded (ASCII)."""
        raw = self._raw_path
        if raw is None:
            raw, self._query_bytes = _split_target(self._target)
            self._raw_path = raw
        return raw

    @property
    def path(self) -> str:
        """The percent-decoded path (UTF-8)."""
        path = self._path
        if path is None:
            raw = self.raw_path
            # PERF: most paths have nothing to decode; unquote() is a call to skip.
            path = self._path = unquote(raw, errors="replace") if "%" in raw else raw
        return path

    @property
    def query_bytes(self) -> bytes:
        """The raw query string, without the ``?``."""
        self.raw_path  # noqa: B018 - splits the target
        return self._query_bytes

    @property
    def query(self) -> QueryParams:
        """Query parameters as a multi-dict."""
        if self._query is None:
            self._query = QueryParams(self.query_bytes)
        return self._query

    # --- headers --------------------------------------------------------------------

    @property
    def headers(self) -> Headers:
        """Request headers (case-insensitive multi-dict; ``raw`` for the bytes)."""
        if self._headers is None:
            self._headers = Headers(raw=self._raw_headers)
        return self._headers

    @property
    def host(self) -> str:
        """The ``Host`` header, lower-cased, port stripped; never from X-Forwarded-*."""
        if self._host is None:
            raw = self._host_raw
            if raw is None:
                raw = (self.headers.get("host") or "").encode("latin-1")
            self._host = _host_name(raw)
        return self._host

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies the client sent (first value of each name wins)."""
        if self._cookies is None:
            header = "; ".join(self.headers.getlist("cookie"))
            self._cookies = parse_cookie_header(header) if header else {}
        return self._cookies

    # --- body -----------------------------------------------------------------------

    async def body(self) -> bytes:
        """The whole body, read once and cached (bounded by the server's body cap)."""
        if self._body_bytes is None:
            if self._streamed:
                raise StarioError(
                    "the body was already consumed with stream()",
                    help="call body() before stream(), or use only one of them",
                )
            # PERF: read here rather than through stream(): no iterator object, and no
            # exception to end it.
            self._streamed = True
            body = self._body
            parts = []
            while (chunk := await body.read()) is not None:
                parts.append(chunk)
            self._body_bytes = parts[0] if len(parts) == 1 else b"".join(parts)
        return self._body_bytes

    def stream(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive; may be iterated once."""
        return _BodyChunks(self)

    async def json(self) -> Any:
        """The body parsed as JSON; invalid JSON is answered with 400."""
        data = await self.body()
        try:
            return _json.loads(data)
        except ValueError as exc:
            raise HttpException(400, "invalid JSON body") from exc

    async def form(self) -> FormData:
        """A urlencoded or multipart form; files above 1 MiB are spooled to disk."""
        if self._form is None:
            self._form = await self._parse_form()
        return self._form

    async def _parse_form(self) -> FormData:
        media, params = parse_content_type(self.headers.get("content-type") or "")
        try:
            if media == "multipart/form-data":
                boundary = params.get("boundary")
                if not boundary:
                    raise HttpException(400, "multipart body without a boundary")
                return await parse_multipart(self.stream(), boundary.encode("latin-1"))
            if media in ("application/x-www-form-urlencoded", ""):
                return await parse_urlencoded(await self.body())
        except FormError as exc:
            raise HttpException(400, f"invalid form: {exc}") from exc
        raise HttpException(415, f"cannot read a form from {media}")

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.raw_path}>"


class _BodyChunks:
    """What ``Request.stream()`` returns: the body's chunks, read as they are iterated.

    A class rather than an async generator: asyncio registers every async generator in
    a weak set, and the compiled build cannot compile one.
    """

    __slots__ = ("_done", "_request", "_started")

    def __init__(self, request: Request) -> None:
        self._request = request
        self._started = False
        self._done = False

    def __aiter__(self) -> _BodyChunks:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        request = self._request
        if not self._started:
            self._started = True
            cached = request._body_bytes
            if cached is not None:  # body() ran first: its bytes are the one chunk
                self._done = True
                if cached:
                    return cached
                raise StopAsyncIteration
            if request._streamed:
                self._done = True
                raise StarioError(
                    "the body stream can be read only once", help="use body() to cache it"
                )
            request._streamed = True
        chunk = await request._body.read()
        if chunk is None:
            self._done = True
            raise StopAsyncIteration
        return chunk
