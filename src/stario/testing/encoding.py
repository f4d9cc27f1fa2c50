"""Building the bytes of a request: URL and query, headers, JSON, form and multipart bodies."""

from __future__ import annotations

import json as _json
import mimetypes
import os
import secrets
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, TypeAlias, TypedDict, cast
from urllib.parse import quote, urlencode, urljoin, urlsplit

from stario.errors import StarioError
from stario.headers import Headers

__all__ = [
    "Body",
    "ClientRequest",
    "FileSpec",
    "HeaderInput",
    "RequestOptions",
    "encode_body",
    "merge_url",
    "origin_of",
]

HeaderInput: TypeAlias = "Mapping[str, str] | Sequence[tuple[str, str]] | Headers"
QueryInput: TypeAlias = "Mapping[str, Any] | Sequence[tuple[str, Any]] | str"
FileContent: TypeAlias = "bytes | str | IO[bytes]"
FileSpec: TypeAlias = (
    "FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str | None]"
)
BodyStream: TypeAlias = "AsyncIterable[bytes] | Iterable[bytes]"


class RequestOptions(TypedDict, total=False):
    """Keyword options of every request method (``client.get(url, **options)``).

    ``params`` are appended to the query; ``headers`` replace the client's defaults
    of the same name; ``cookies`` are sent with the jar's (a ``cookie`` header in
    ``headers`` replaces both); at most one body: ``content`` (bytes, str, or an
    iterator of bytes sent chunked), ``json``, or ``data`` (form fields; multipart
    with ``files``). ``follow_redirects`` overrides the client's setting and
    ``timeout`` (seconds, default 5) bounds the wait for the response.
    """

    params: QueryInput | None
    headers: HeaderInput | None
    cookies: Mapping[str, str] | None
    content: bytes | str | BodyStream | None
    json: Any
    data: Mapping[str, Any] | Sequence[tuple[str, Any]] | str | bytes | None
    files: Mapping[str, FileSpec] | Sequence[tuple[str, FileSpec]] | None
    follow_redirects: bool | None
    timeout: float


# Everything a path may carry as is (RFC 3986 pchar and "/"); "%" keeps escapes intact.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


@dataclass(frozen=True, slots=True)
class Body:
    """An encoded request body: fixed ``content`` or a ``stream`` sent chunked."""

    content: bytes | None = None
    stream: BodyStream | None = None
    content_type: str | None = None


@dataclass(slots=True)
class ClientRequest:
    """A request as the client sent it: ``method``, absolute ``url``, wire ``headers``.

    ``content`` is the body (None when it was streamed or there was none).
    """

    method: str
    url: str
    headers: Headers
    content: bytes | None = None

    @property
    def target(self) -> str:
        """The request target: path and query, as on the request line."""
        parts = urlsplit(self.url)
        path = quote(parts.path or "/", safe=_PATH_SAFE)
        query = quote(parts.query, safe=_QUERY_SAFE + "=&")
        return f"{path}?{query}" if parts.query else path

    def head_bytes(self) -> bytes:
        """Request line and header block, ready for the wire."""
        lines = [f"{self.method} {self.target} HTTP/1.1\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in self.headers.items())
        lines.append("\r\n")
        try:
            return "".join(lines).encode("latin-1")
        except UnicodeEncodeError as exc:
            raise StarioError(
                "a request header has characters outside latin-1",
                help="percent-encode or base64 the value first",
            ) from exc


def merge_url(base_url: str, url: str, params: QueryInput | None) -> str:
    """``url`` made absolute against ``base_url``, with ``params`` appended to its query."""
    full = url if urlsplit(url).scheme else urljoin(base_url, url)
    if not params:
        return full.partition("#")[0]
    if isinstance(params, str):
        extra = params
    else:
        extra = urlencode([(n, _text(v)) for n, v in _flat(params)])
    head, _, _fragment = full.partition("#")
    return f"{head}&{extra}" if "?" in head else f"{head}?{extra}"


def origin_of(url: str) -> tuple[str, str, str]:
    """``(netloc, host, path)``: the Host header value, the lower-cased host, the path."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return netloc, (parts.hostname or "").lower(), parts.path or "/"


def _pairs(data: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return list(data.items()) if isinstance(data, Mapping) else list(data)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _flat(data: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name, value in _pairs(data):
        values = value if isinstance(value, list | tuple) else [value]
        out.extend((name, v) for v in values)
    return out


def encode_body(
    *,
    json: Any = None,
    data: Mapping[str, Any] | Sequence[tuple[str, Any]] | str | bytes | None = None,
    files: Mapping[str, FileSpec] | Sequence[tuple[str, FileSpec]] | None = None,
    content: bytes | str | BodyStream | None = None,
) -> Body | None:
    """Encode one of ``json=``, ``data=``/``files=`` or ``content=`` (None: no body)."""
    given = [n for n, v in (("json", json), ("data", data), ("content", content)) if v is not None]
    if len(given) > 1 or (files is not None and (json is not None or content is not None)):
        raise StarioError(
            "pass only one kind of body: content=, json=, or data= (with files=)",
            example='client.post("/items", json={"name": "x"})',
        )
    if json is not None:
        payload = _json.dumps(json, separators=(",", ":"), ensure_ascii=False)
        return Body(payload.encode("utf-8"), content_type="application/json")
    if files is not None:
        if isinstance(data, str | bytes):
            raise StarioError("with files=, data= must be a dict of form fields")
        return _multipart(_flat(data or {}), _pairs(files))
    if isinstance(data, str | bytes):
        content = data
    elif data is not None:
        encoded = urlencode([(n, _text(v)) for n, v in _flat(data)])
        return Body(encoded.encode("ascii"), content_type="application/x-www-form-urlencoded")
    if content is None:
        return None
    if isinstance(content, str):
        return Body(content.encode("utf-8"))
    if isinstance(content, bytes | bytearray | memoryview):
        return Body(bytes(content))
    if isinstance(content, AsyncIterable | Iterable):
        return Body(stream=cast(BodyStream, content))
    raise StarioError(
        f"content= must be bytes, str or an iterator of bytes, got {type(content).__name__}"
    )


def _disposition_value(text: str) -> str:
    # HTML multipart/form-data encoding: escape the quote and line breaks in names.
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _file_parts(spec: FileSpec) -> tuple[str, bytes, str]:
    filename: str | None = None
    content_type: str | None = None
    if isinstance(spec, tuple):
        filename, content = spec[0], spec[1]
        if len(spec) > 2:
            content_type = spec[2]
    else:
        content = spec
    if isinstance(content, str):
        data = content.encode("utf-8")
    elif isinstance(content, bytes):
        data = content
    else:
        data = content.read()
        if filename is None:
            filename = os.path.basename(str(getattr(content, "name", "")))
    filename = filename or "upload"
    guessed = mimetypes.guess_type(filename)[0]
    return filename, data, content_type or guessed or "application/octet-stream"


def _multipart(fields: list[tuple[str, Any]], files: list[tuple[str, FileSpec]]) -> Body:
    boundary = "stario-" + secrets.token_hex(16)
    delimiter = f"--{boundary}\r\n".encode("ascii")
    out = bytearray()
    for name, value in fields:
        out += delimiter
        out += f'Content-Disposition: form-data; name="{_disposition_value(name)}"\r\n\r\n'.encode()
        out += value if isinstance(value, bytes) else _text(value).encode("utf-8")
        out += b"\r\n"
    for name, spec in files:
        filename, data, content_type = _file_parts(spec)
        out += delimiter
        out += (
            f'Content-Disposition: form-data; name="{_disposition_value(name)}"; '
            f'filename="{_disposition_value(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        out += data
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode("ascii")
    return Body(bytes(out), content_type=f"multipart/form-data; boundary={boundary}")
