"""Sending files: content types, validators, conditional requests, one byte range, streaming.

``send_representation`` is shared by ``responses.file`` (any file, looked up per request)
and ``stario.static`` (fingerprinted assets, looked up once at startup). It answers 304
for a matching ``If-None-Match`` / ``If-Modified-Since``, 206 or 416 for a ``Range``
(GET only, one range, ``If-Range`` honoured), and 200 otherwise; HEAD gets the same
headers without the body. Bodies on disk are read in a worker thread, chunk by chunk,
waiting for the client between chunks.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import stat
import unicodedata
from typing import Final
from urllib.parse import quote

from stario.errors import HttpException
from stario.preconditions import (
    Unsatisfiable,
    http_date,
    if_range_allows,
    not_modified,
    parse_range,
)
from stario.request import Request
from stario.writer import Writer

__all__ = [
    "CHUNK_SIZE",
    "Representation",
    "content_disposition",
    "guess_content_type",
    "send_file",
    "send_representation",
    "stream_fd",
]

CHUNK_SIZE: Final = 256 * 1024
"""Bytes read from disk per worker-thread call when streaming a file."""

# --- content types ---------------------------------------------------------------------

# Web types pinned so every platform answers the same (the mimetypes tables differ
# between Python versions and /etc/mime.types files).
_TYPES: Final = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".tgz": "application/gzip",
    ".zst": "application/zstd",
    ".br": "application/octet-stream",
}
# mimetypes reports "file.tar.gz" as (tar, gzip): the bytes on disk are the gzip file.
_ENCODED_TYPES: Final = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
}
_TEXTUAL: Final = ("text/", "application/javascript", "image/svg+xml")


def guess_content_type(name: str) -> str:
    """The ``Content-Type`` for a file name; text types get ``charset=utf-8``."""
    ext = os.path.splitext(name)[1].lower()
    ctype = _TYPES.get(ext)
    if ctype is None:
        guessed, encoding = mimetypes.guess_type(name, strict=False)
        if encoding is not None:
            ctype = _ENCODED_TYPES.get(encoding, "application/octet-stream")
        else:
            ctype = guessed or "application/octet-stream"
    if ctype.startswith(_TEXTUAL):
        return ctype + "; charset=utf-8"
    return ctype


# --- Content-Disposition -------------------------------------------------------------------

# RFC 8187 attr-char: what may stay unescaped in filename*.
_ATTR_SAFE: Final = "!#$&+-.^_`|~"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A ``Content-Disposition`` value (RFC 6266) for ``filename``.

    Only the last path segment is kept. ASCII names go in ``filename="..."``; others
    add ``filename*=UTF-8''...`` (RFC 8187) after an ASCII fallback. SECURITY: control
    characters (CR, LF, NUL, ...) become ``_``, and quotes and backslashes in the
    fallback too, so a name can neither end the parameter nor split the header.
    """
    kind = "inline" if inline else "attachment"
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isprintable() else "_" for c in base) or "download"
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    fallback = "".join("_" if c in '"\\' else c for c in ascii_name)
    stem, dot, ext = fallback.rpartition(".")
    if not (stem if dot else ext).strip(" ._"):
        fallback = "download." + ext if dot and ext else "download"
    value = f'{kind}; filename="{fallback}"'
    if fallback != cleaned:
        value += "; filename*=UTF-8''" + quote(cleaned, safe=_ATTR_SAFE)
    return value


# --- sending ---------------------------------------------------------------------------------


class Representation:
    """One response body with its validators: ``data`` in memory, an open ``fd``, or the
    file at ``path`` (opened per request, and 404 if its size or mtime changed).

    ``headers`` are set on every answer that carries the representation (200, 206,
    and those of them a 304 repeats: ``cache-control``, ``vary``, ``content-location``).
    ``ranges`` False turns off Range support (e.g. for a compressed variant).
    """

    __slots__ = (
        "content_type",
        "data",
        "etag",
        "fd",
        "headers",
        "last_modified",
        "mtime",
        "path",
        "ranges",
        "size",
    )

    def __init__(
        self,
        *,
        content_type: str,
        etag: str,
        mtime: int,
        size: int,
        data: bytes | None = None,
        fd: int | None = None,
        path: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        ranges: bool = True,
    ) -> None:
        self.content_type = content_type
        self.etag = etag
        self.mtime = mtime
        self.last_modified = http_date(mtime)
        self.size = size
        self.data = data
        self.fd = fd
        self.path = path
        self.headers = headers
        self.ranges = ranges


# RFC 9110 §15.4.5: what a 304 repeats of the 200 it stands for.
_NOT_MODIFIED_KEEP: Final = frozenset({"cache-control", "vary", "content-location", "expires"})


async def send_representation(req: Request, w: Writer, rep: Representation) -> None:
    """Answer ``req`` with ``rep``: 304, 206, 416 or 200 (HEAD: the same without a body)."""
    headers = req.headers
    out = w.headers
    if req.method in ("GET", "HEAD") and not_modified(headers, rep.etag, rep.mtime):
        for name, value in rep.headers:
            if name in _NOT_MODIFIED_KEEP:
                out.set(name, value)
        out.set("etag", rep.etag)
        w.write_headers(304)
        w.end()
        return
    span = _requested_range(req, rep) if rep.ranges else None
    if isinstance(span, Unsatisfiable):
        # Not the representation: none of its headers, so no cache keeps the error
        # under an immutable Cache-Control.
        out.set("content-range", f"bytes */{rep.size}")
        w.skip_compression()
        w.respond(b"Range Not Satisfiable", "text/plain; charset=utf-8", 416)
        return
    for name, value in rep.headers:
        out.set(name, value)
    out.set("etag", rep.etag)
    out.set("last-modified", rep.last_modified)
    if rep.ranges:
        out.set("accept-ranges", "bytes")
    start, end = span if span is not None else (0, rep.size - 1)
    if span is not None:
        out.set("content-range", f"bytes {start}-{end}/{rep.size}")
    status = 206 if span is not None else 200
    await _send_body(w, rep, status, start, end - start + 1, head=req.method == "HEAD")


def _requested_range(req: Request, rep: Representation) -> tuple[int, int] | Unsatisfiable | None:
    """The byte range to send, None for the whole body, ``UNSATISFIABLE`` for a 416."""
    if req.method != "GET":  # RFC 9110 §14.2: Range is defined for GET only
        return None
    value = req.headers.get("range")
    if value is None:
        return None
    if_range = req.headers.get("if-range")
    if if_range is not None and not if_range_allows(if_range, rep.etag, rep.mtime):
        return None
    return parse_range(value, rep.size)


async def _send_body(
    w: Writer, rep: Representation, status: int, start: int, length: int, *, head: bool
) -> None:
    w.skip_compression()  # the representation is already as small as it gets
    data = rep.data
    if data is not None:
        body = data if length == len(data) else data[start : start + length]
        w.respond(body, rep.content_type, status)
        return
    w.headers.set("content-type", rep.content_type)
    w.headers.set("content-length", str(length))
    if head:  # HEAD: the head is the whole answer
        w.write_headers(status)
        w.end()
        return
    fd = rep.fd
    if fd is not None:
        w.write_headers(status)
        await stream_fd(w, fd, start, length)
        return
    fd = await _open_unchanged(rep)
    try:
        w.write_headers(status)
        await stream_fd(w, fd, start, length)
    finally:
        os.close(fd)


async def stream_fd(
    w: Writer, fd: int, offset: int, length: int, chunk_size: int = CHUNK_SIZE
) -> None:
    """Write ``length`` bytes of ``fd`` from ``offset``, reading in a worker thread.

    Waits for the client (``drain``) after every chunk, so memory stays at one chunk
    per response. A file that shrank meanwhile aborts the response (the client sees a
    truncated body rather than a wrong one).
    """
    loop = asyncio.get_running_loop()
    while length > 0:
        chunk = await loop.run_in_executor(None, os.pread, fd, min(chunk_size, length), offset)
        if not chunk:
            w.abort()
            return
        offset += len(chunk)
        length -= len(chunk)
        if length > 0:
            w.write(chunk)
            await w.drain()
        else:
            w.end(chunk)


# --- files on disk ------------------------------------------------------------------------

# Files up to this size are read whole in the worker call that opens them.
_READ_WHOLE: Final = 64 * 1024

_Opened = tuple[int, os.stat_result, bytes | None]


def _open_file(path: str, read_whole: int) -> _Opened:
    """Open a regular file (in a worker thread): its fd, stat and, when small, its bytes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(path)
        data = os.pread(fd, st.st_size, 0) if st.st_size <= read_whole else None
    except BaseException:
        os.close(fd)
        raise
    return fd, st, data


async def _open(path: str, read_whole: int = 0) -> _Opened:
    """``_open_file`` in a worker thread; 404 when there is no regular file at ``path``."""
    future = asyncio.get_running_loop().run_in_executor(None, _open_file, path, read_whole)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_close_opened)  # the thread may still open it: close it then
        raise
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise HttpException(404, "Not Found") from None


def _close_opened(future: asyncio.Future[_Opened]) -> None:
    if not future.cancelled() and future.exception() is None:
        os.close(future.result()[0])


async def _open_unchanged(rep: Representation) -> int:
    """Open ``rep.path``; 404 when the file changed since ``rep`` was made from it."""
    assert rep.path is not None
    fd, st, _ = await _open(rep.path)
    if st.st_size != rep.size or int(st.st_mtime) != rep.mtime:
        os.close(fd)
        raise HttpException(404, "Not Found")
    return fd


async def send_file(
    req: Request,
    w: Writer,
    path: str | os.PathLike[str],
    *,
    content_type: str | None = None,
    download_name: str | None = None,
    inline: bool = False,
) -> None:
    """Send the file at ``path`` with validators, Range and Content-Disposition support.

    A missing path, a directory or anything but a regular file answers 404
    (``HttpException``). The ETag is built from size and modification time.
    """
    name = os.fspath(path)
    fd, st, data = await _open(name, _READ_WHOLE)
    try:
        extra: tuple[tuple[str, str], ...] = ()
        if download_name is not None or not inline:
            label = download_name if download_name is not None else os.path.basename(name)
            extra = (("content-disposition", content_disposition(label, inline=inline)),)
        rep = Representation(
            content_type=content_type or guess_content_type(name),
            etag=f'"{st.st_size:x}-{st.st_mtime_ns:x}"',
            mtime=int(st.st_mtime),
            size=st.st_size if data is None else len(data),
            data=data,
            fd=fd,
            headers=extra,
        )
        await send_representation(req, w, rep)
    finally:
        os.close(fd)
