"""Form bodies: ``application/x-www-form-urlencoded`` and streaming ``multipart/form-data``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable
from tempfile import SpooledTemporaryFile
from urllib.parse import unquote_to_bytes

from stario.multidict import FormData, parse_query_pairs

__all__ = [
    "FormData",
    "FormError",
    "UploadFile",
    "parse_content_type",
    "parse_multipart",
    "parse_urlencoded",
]

MIB = 1024 * 1024


class FormError(ValueError):
    """The form body is malformed or over a limit; the request layer answers 400."""


class UploadFile:
    """An uploaded file, kept in memory up to ``max_size`` bytes and on disk above that.

    ``filename`` is the client's name with any directory part removed; treat it as
    untrusted. ``headers`` are the part's headers with lower-cased names. ``file`` is
    the underlying binary file; prefer the async methods, which move disk I/O off the
    event loop.
    """

    __slots__ = ("_max_size", "content_type", "file", "filename", "headers", "size")

    def __init__(
        self,
        filename: str,
        content_type: str = "application/octet-stream",
        headers: dict[str, str] | None = None,
        *,
        max_size: int = MIB,
    ) -> None:
        self.filename = filename
        self.content_type = content_type
        self.headers = headers if headers is not None else {}
        self.size = 0
        self._max_size = max_size
        # The file outlives this call on purpose: close() or FormData.close() ends it.
        self.file: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(  # noqa: SIM115
            max_size=max_size
        )

    @property
    def _rolled(self) -> bool:
        # True once the spooled file moved to disk, where every call may block.
        return bool(getattr(self.file, "_rolled", True))

    async def write(self, data: bytes) -> None:
        """Append ``data`` at the current position (the parser uses this)."""
        # PERF: in-memory writes are cheap; only writes that touch the disk use a thread.
        if self._rolled or self.file.tell() + len(data) > self._max_size:
            await asyncio.to_thread(self.file.write, data)
        else:
            self.file.write(data)
        self.size += len(data)

    async def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left when negative)."""
        if self._rolled:
            return await asyncio.to_thread(self.file.read, size)
        return self.file.read(size)

    async def seek(self, offset: int) -> int:
        """Move to byte ``offset`` from the start; return the new position."""
        if self._rolled:
            return await asyncio.to_thread(self.file.seek, offset)
        return self.file.seek(offset)

    async def close(self) -> None:
        """Close the file; a file spooled to disk is deleted."""
        if self._rolled:
            await asyncio.to_thread(self.file.close)
        else:
            self.file.close()

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={self.size})"
        )


# One parameter: name, then a quoted string or a bare value, then ';' or the end.
_PARAM = re.compile(r'\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))\s*(?:;|\Z)')
_QUOTED_PAIR = re.compile(r'\\(["\\])')
# SECURITY: a header has a handful of parameters; cap the scan so junk cannot cost much.
_MAX_PARAMS = 32


def _parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    for _ in range(_MAX_PARAMS):
        if pos >= len(text):
            break
        m = _PARAM.match(text, pos)
        if m is None:
            semi = text.find(";", pos)
            if semi < 0:
                break
            pos = semi + 1
            continue
        name, quoted, bare = m.groups()
        # Only \" and \\ are unescaped: browsers send Windows paths with bare backslashes.
        value = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else bare.strip()
        params.setdefault(name.lower(), value)
        pos = m.end()
    return params


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split ``multipart/form-data; boundary="x"`` into ``("multipart/form-data", {...})``.

    The media type and parameter names are lower-cased, quoted values unquoted, the first
    of a repeated parameter wins and malformed pieces are skipped. Never raises.
    """
    media, _, rest = value.partition(";")
    return media.strip().lower(), _parse_params(rest)


async def parse_urlencoded(body: bytes, *, max_fields: int = 1000) -> FormData:
    """Parse an ``application/x-www-form-urlencoded`` body (UTF-8).

    Raises ``FormError`` when there are more than ``max_fields`` fields.
    """
    pairs = parse_query_pairs(body, max_pairs=max_fields + 1)
    if len(pairs) > max_fields:
        raise FormError(f"too many form fields (limit {max_fields})")
    return FormData(pairs)


# Events from _Splitter.feed: a part's raw header block, a piece of its body, its end.
_HEADERS, _DATA, _END = 0, 1, 2
_Event = tuple[int, bytes]
_PREAMBLE, _AFTER_DELIM, _PART_HEADERS, _BODY, _DONE = range(5)
# RFC 2046 §5.1.1: only linear whitespace may follow a boundary on its line.
_MAX_PADDING = 256


class _Splitter:
    """Cuts a multipart body into events without holding more than one chunk of it.

    RFC 2046 §5.1.1: each delimiter is CRLF "--" boundary; the CRLF belongs to the
    delimiter, not to the part before it. The first delimiter may open the body, so the
    buffer starts with a CRLF of our own.
    """

    __slots__ = ("_buf", "_delim", "_fed", "_max_header", "_pos", "_state")

    def __init__(self, boundary: bytes, max_header: int) -> None:
        self._delim = b"\r\n--" + boundary
        self._buf = bytearray(b"\r\n")
        self._pos = 0
        self._state = _PREAMBLE
        self._max_header = max_header
        self._fed = False

    def feed(self, data: bytes) -> list[_Event]:
        """Add ``data``; return the events it completes."""
        if self._state == _DONE:
            return []  # RFC 2046 §5.1.1: the epilogue is ignored.
        self._fed = self._fed or bool(data)
        self._buf += data
        events: list[_Event] = []
        while self._step(events):
            pass
        # PERF: compact once per chunk, not once per part.
        del self._buf[: self._pos]
        self._pos = 0
        return events

    def finish(self) -> None:
        """Raise ``FormError`` unless the body ended with the closing delimiter."""
        if self._state != _DONE and self._fed:
            raise FormError("multipart body ends without its closing boundary")

    def _step(self, events: list[_Event]) -> bool:
        state = self._state
        if state == _BODY:
            return self._body(events)
        if state == _PART_HEADERS:
            return self._headers(events)
        if state == _AFTER_DELIM:
            return self._after_delim()
        if state == _PREAMBLE:
            return self._preamble()
        return False

    def _preamble(self) -> bool:
        found = self._buf.find(self._delim, self._pos)
        if found < 0:
            # Drop the preamble as it comes, keeping what may be the start of a delimiter.
            self._pos = max(self._pos, len(self._buf) - len(self._delim) + 1)
            return False
        self._pos = found + len(self._delim)
        self._state = _AFTER_DELIM
        return True

    def _after_delim(self) -> bool:
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 2:
            return False
        if buf[pos : pos + 2] == b"--":
            self._state = _DONE
            self._pos = len(buf)
            return False
        eol = buf.find(b"\r\n", pos, pos + _MAX_PADDING)
        if eol < 0:
            if len(buf) - pos >= _MAX_PADDING:
                raise FormError("malformed multipart boundary line")
            return False
        if buf[pos:eol].strip(b" \t"):
            raise FormError("malformed multipart boundary line")
        self._pos = eol + 2
        self._state = _PART_HEADERS
        return True

    def _headers(self, events: list[_Event]) -> bool:
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 2:
            return False
        if buf[pos : pos + 2] == b"\r\n":
            end, block = pos + 2, b""  # a part with no headers at all
        else:
            found = buf.find(b"\r\n\r\n", pos, pos + self._max_header + 4)
            if found < 0:
                if len(buf) - pos >= self._max_header + 4:
                    raise FormError("multipart part header too large")
                return False
            end, block = found + 4, bytes(buf[pos:found])
        events.append((_HEADERS, block))
        self._pos = end
        self._state = _BODY
        return True

    def _body(self, events: list[_Event]) -> bool:
        buf, pos = self._buf, self._pos
        found = buf.find(self._delim, pos)
        if found < 0:
            # Keep the last len(delim) - 1 bytes: they may begin a delimiter.
            safe = len(buf) - len(self._delim) + 1
            if safe > pos:
                events.append((_DATA, bytes(buf[pos:safe])))
                self._pos = safe
            return False
        if found > pos:
            events.append((_DATA, bytes(buf[pos:found])))
        events.append((_END, b""))
        self._pos = found + len(self._delim)
        self._state = _AFTER_DELIM
        return True


def _parse_part_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    if not block:
        return headers
    # Browsers send file names as raw UTF-8 inside the quoted string.
    for line in block.decode("utf-8", "replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise FormError("malformed multipart part header")
        headers.setdefault(name.lower(), value.strip())
    return headers


def _ext_value(value: str) -> str | None:
    # RFC 5987 §3.2: charset "'" [ language ] "'" percent-encoded octets.
    charset, _, rest = value.partition("'")
    _, quote, encoded = rest.partition("'")
    if not quote:
        return None
    raw = unquote_to_bytes(encoded)
    if charset.lower() in ("iso-8859-1", "latin-1", "latin1"):
        return raw.decode("latin-1")
    return raw.decode("utf-8", "replace")


def _param(params: dict[str, str], name: str) -> str | None:
    extended = params.get(name + "*")
    decoded = _ext_value(extended) if extended is not None else None
    return decoded if decoded is not None else params.get(name)


def _disposition(headers: dict[str, str]) -> tuple[str, str | None]:
    """The field name and, for a file, its base file name."""
    kind, params = parse_content_type(headers.get("content-disposition", ""))
    if kind != "form-data":
        raise FormError("multipart part without 'Content-Disposition: form-data'")
    name = _param(params, "name")
    if name is None:
        raise FormError("multipart part without a name")
    filename = _param(params, "filename")
    if filename is not None:
        # SECURITY: never hand out a client path; old browsers sent C:\dir\file.txt.
        filename = re.split(r"[\\/]", filename)[-1]
    return name, filename


def _decode_field(data: bytes, content_type: str) -> str:
    charset = parse_content_type(content_type)[1].get("charset", "utf-8")
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


class _FormBuilder:
    """Turns splitter events into form items, enforcing the field and file limits."""

    __slots__ = (
        "_ctype",
        "_field",
        "_fields",
        "_file",
        "_items",
        "_limits",
        "_name",
        "_uploads",
    )

    def __init__(self, max_fields: int, max_files: int, spool: int, max_field: int) -> None:
        self._limits = (max_fields, max_files, spool, max_field)
        self._items: list[tuple[str, str | UploadFile]] = []
        self._uploads: list[UploadFile] = []
        self._fields = 0
        self._name = ""
        self._ctype = ""
        self._field = bytearray()
        self._file: UploadFile | None = None

    async def handle(self, kind: int, payload: bytes) -> None:
        if kind == _DATA:
            await self._data(payload)
        elif kind == _HEADERS:
            self._begin(payload)
        else:
            await self._end()

    def _begin(self, block: bytes) -> None:
        max_fields, max_files, spool, _ = self._limits
        headers = _parse_part_headers(block)
        self._name, filename = _disposition(headers)
        # RFC 7578 §4.4: a part's Content-Type defaults to text/plain.
        self._ctype = headers.get("content-type", "text/plain")
        if filename is None:
            self._fields += 1
            if self._fields > max_fields:
                raise FormError(f"too many form fields (limit {max_fields})")
            self._field = bytearray()
            self._file = None
            return
        if len(self._uploads) >= max_files:
            raise FormError(f"too many files (limit {max_files})")
        self._file = UploadFile(filename, self._ctype, headers, max_size=spool)
        self._uploads.append(self._file)

    async def _data(self, data: bytes) -> None:
        if self._file is not None:
            await self._file.write(data)
            return
        max_field = self._limits[3]
        # SECURITY: text fields live in memory, so each is capped.
        if len(self._field) + len(data) > max_field:
            raise FormError(f"form field {self._name!r} too large (limit {max_field} bytes)")
        self._field += data

    async def _end(self) -> None:
        if self._file is not None:
            await self._file.seek(0)
            self._items.append((self._name, self._file))
        else:
            self._items.append((self._name, _decode_field(bytes(self._field), self._ctype)))

    def result(self) -> FormData:
        return FormData(self._items)

    def discard(self) -> None:
        # Synchronous on purpose: this also runs while a cancellation unwinds.
        for upload in self._uploads:
            upload.file.close()


def _check_boundary(boundary: bytes) -> None:
    # RFC 2046 §5.1.1 allows 1-70 characters; be lenient on length, strict on line breaks.
    if not 0 < len(boundary) <= 200 or b"\r" in boundary or b"\n" in boundary:
        raise FormError("invalid multipart boundary")


async def parse_multipart(
    chunks: AsyncIterable[bytes],
    boundary: bytes | str,
    *,
    max_fields: int = 1000,
    max_files: int = 1000,
    max_part_header_bytes: int = 16384,
    spool_max_size: int = MIB,
    max_field_size: int = MIB,
) -> FormData:
    """Parse a ``multipart/form-data`` body as it streams in (RFC 7578).

    Text fields become ``str`` (UTF-8, bad bytes replaced); file parts (those with a
    ``filename``) become ``UploadFile`` spooled to disk above ``spool_max_size`` and
    rewound to the start. Raises ``FormError`` for malformed bodies and exceeded
    limits, after closing any file already created. An empty body gives an empty form.
    """
    if isinstance(boundary, str):
        boundary = boundary.encode("latin-1", "replace")
    _check_boundary(boundary)
    splitter = _Splitter(boundary, max_part_header_bytes)
    builder = _FormBuilder(max_fields, max_files, spool_max_size, max_field_size)
    try:
        # Read to the end even past the closing boundary so the connection stays usable.
        async for chunk in chunks:
            for kind, payload in splitter.feed(chunk):
                await builder.handle(kind, payload)
        splitter.finish()
    except BaseException:
        builder.discard()
        raise
    return builder.result()
