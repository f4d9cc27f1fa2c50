"""Response compression: ``Accept-Encoding`` negotiation, codecs and which bodies qualify.

``Compression`` is built once per server from ``ServerConfig`` (``for_config``); the
``Writer`` asks it, per response, whether a body qualifies and which coding the client
gets. Negotiation follows RFC 9110 §12.5.3 and is cached per distinct header value, so a
browser's usual ``gzip, deflate, br, zstd`` costs one dict lookup after the first time.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, Final

import brotli
import zstandard

from stario.config import ServerConfig
from stario.headers import Headers

__all__ = [
    "CODINGS",
    "VARY_LINE",
    "Codec",
    "Compression",
    "StreamEncoder",
    "add_vary",
    "choose_encoding",
    "find_accept_encoding",
    "is_compressible",
    "mark_encoded",
    "parse_accept_encoding",
]

CODINGS: Final = ("br", "zstd", "gzip")
"""Supported content codings, in the order ties are broken (best first)."""

# --- negotiation ------------------------------------------------------------------------

# RFC 9110 §5.6.2 token; §12.4.2 qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_QVALUE: Final = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
# RFC 9110 §18.6: "x-gzip" is an alias of "gzip".
_ALIASES: Final = {"x-gzip": "gzip"}


def parse_accept_encoding(value: str) -> dict[str, float]:
    """The codings of an ``Accept-Encoding`` value with their q-values (lower-cased).

    ``*`` and ``identity`` are kept as listed. An element with a malformed coding or
    q-value is skipped; a coding listed twice keeps its lowest q-value, so a coding a
    client refused anywhere is never chosen. Never raises.
    """
    out: dict[str, float] = {}
    for element in value.split(","):
        coding, _, params = element.partition(";")
        coding = coding.strip().lower()
        if not coding or _TOKEN.fullmatch(coding) is None:
            continue
        q = _weight(params) if params else 1.0
        if q is None:
            continue
        coding = _ALIASES.get(coding, coding)
        previous = out.get(coding)
        out[coding] = q if previous is None else min(previous, q)
    return out


def _weight(params: str) -> float | None:
    q = 1.0
    for param in params.split(";"):
        name, sep, raw = param.partition("=")
        if name.strip().lower() != "q":
            continue  # empty or extension parameters carry no weight
        raw = raw.strip()
        if not sep or _QVALUE.fullmatch(raw) is None:
            return None
        q = float(raw)
    return q


def choose_encoding(value: str, available: Sequence[str] = CODINGS) -> str | None:
    """The coding to use for a response, or None for no content coding.

    ``available`` lists the codings on offer, best first (ties go to the earlier one).
    A coding is chosen when its q-value (its own, else the ``*`` one) is above 0 and not
    below ``identity``'s explicit q-value (ties go to compression). Codings the header
    does not mention, with no ``*``, are not acceptable.
    """
    prefs = parse_accept_encoding(value)
    if not prefs:
        return None
    star = prefs.get("*", 0.0)
    best: str | None = None
    best_q = 0.0
    for coding in available:
        q = prefs.get(coding, star)
        if q > best_q:
            best, best_q = coding, q
    if best is None or best_q < prefs.get("identity", star):
        return None
    return best


def find_accept_encoding(raw_headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The request's ``Accept-Encoding`` value (several fields joined), or None."""
    found: list[bytes] = []
    for name, value in raw_headers:
        # PERF: compare the length first; most header names are ruled out at once.
        if len(name) == 15 and name.lower() == b"accept-encoding":
            found.append(value)
    if not found:
        return None
    return b",".join(found).decode("latin-1")


# --- content types --------------------------------------------------------------------

# Media types worth compressing besides text/*, +json, +xml. Everything else (images,
# audio, video, archives, woff fonts, PDF, octet-stream) is already compressed or opaque.
_COMPRESSIBLE: Final = frozenset(
    {
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/json",
        "application/x-ndjson",
        "application/xml",
        "application/wasm",
        "application/yaml",
        "application/toml",
        "application/sql",
        "application/graphql",
        "application/x-www-form-urlencoded",
        "application/x-sh",
        "application/x-tar",
        "application/rtf",
        "application/vnd.ms-fontobject",
        "application/x-font-ttf",
        "font/ttf",
        "font/otf",
        "font/collection",
        "image/svg+xml",
        "image/bmp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
)
_SUFFIXES: Final = ("+json", "+xml", "+yaml", "+text")


def is_compressible(content_type: str | None) -> bool:
    """Whether a body of ``content_type`` is worth compressing (parameters ignored)."""
    if not content_type:
        return False
    media = content_type.partition(";")[0].strip().lower()
    return media.startswith("text/") or media in _COMPRESSIBLE or media.endswith(_SUFFIXES)


# --- response headers -------------------------------------------------------------------


def add_vary(headers: Headers, token: str = "accept-encoding") -> None:
    """Add ``token`` to ``Vary`` unless listed (case-insensitive); fields merge into one."""
    values = headers.getlist("vary")
    if not values:
        headers.add("vary", token)
        return
    tokens: list[str] = []
    seen: set[str] = set()
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item and item.lower() not in seen:
                seen.add(item.lower())
                tokens.append(item)
    added = token not in seen and "*" not in seen  # RFC 9110 §12.5.5: "*" covers it
    if added:
        tokens.append(token)
    if added or len(values) > 1:
        headers.set("vary", ", ".join(tokens))


def mark_encoded(headers: Headers, coding: str) -> None:
    """Set ``Content-Encoding``; a strong ``ETag`` becomes weak (the bytes changed)."""
    headers.set("content-encoding", coding)
    etag = headers.get("etag")
    if etag is not None and not etag.startswith("W/"):
        # RFC 9110 §8.8.1: the compressed bytes differ, but the meaning is the same.
        headers.set("etag", "W/" + etag)


# --- codecs -------------------------------------------------------------------------------

# How many bytes each codec compresses in about 1 ms, per level (KiB). Measured with
# one-shot compression of generated HTML and JSON (the slower of the two, median of 9
# runs, rounded down) on an AMD EPYC core, Python 3.11, brotli 1.2.1, zstandard 0.25,
# zlib 1.2.13. Bodies up to this size are compressed on the event loop; larger ones in
# a worker thread (all three libraries release the GIL while they work).
_ZSTD_KIB: Final = (240, 352, 272, 240, 128, 80, 64, 64, 64, 56, 44, 32, 32, 10, 10, 10)
_ZSTD_KIB_HIGH: Final = 4  # levels 16-22: 4-6 KiB
_BROTLI_KIB: Final = (336, 246, 144, 120, 88, 50, 40, 36, 26, 0, 0, 0)  # 9-11: < 1 KiB
_GZIP_KIB: Final = (3072, 124, 110, 92, 77, 61, 45, 37, 27, 27)


def _inline_limit(coding: str, level: int) -> int:
    if coding == "zstd":
        kib = _ZSTD_KIB[level] if level < len(_ZSTD_KIB) else _ZSTD_KIB_HIGH
    elif coding == "br":
        kib = _BROTLI_KIB[level]
    else:
        kib = _GZIP_KIB[level]
    return kib * 1024


class StreamEncoder:
    """Compresses a streamed body; every ``write`` is flushed so the peer sees it now."""

    __slots__ = ("_finish", "_write", "inline_limit", "offloaded")

    def __init__(self, write: Any, finish: Any, inline_limit: int) -> None:
        self._write = write
        self._finish = finish
        self.inline_limit = inline_limit
        # Set once a piece went to a worker thread: later pieces must follow it there.
        self.offloaded = False

    def write(self, data: bytes) -> bytes:
        """Compress ``data`` and flush, so everything written so far can be decoded."""
        out: bytes = self._write(data)
        return out

    def finish(self, data: bytes = b"") -> bytes:
        """Compress the last ``data`` and end the compressed stream."""
        out: bytes = self._finish(data)
        return out


class Codec:
    """One content coding with its level and window: one-shot and streaming compression."""

    __slots__ = ("_local", "inline_limit", "level", "name", "window")

    def __init__(self, name: str, level: int, window: int | None = None) -> None:
        self.name = name
        self.level = level
        self.window = window
        self.inline_limit = _inline_limit(name, level)
        # zstd compressors are not thread-safe; each thread gets its own.
        self._local = threading.local()

    def compress(self, data: bytes) -> bytes:
        """The whole of ``data``, compressed (safe to call from any thread)."""
        if self.name == "br":
            return bytes(brotli.compress(data, quality=self.level, lgwin=self.window or 22))
        if self.name == "zstd":
            return bytes(self._zstd().compress(data))
        return zlib.compress(data, self.level, 16 + (self.window or 15))

    def stream(self) -> StreamEncoder:
        """A new encoder for one streamed body."""
        if self.name == "br":
            br = brotli.Compressor(quality=self.level, lgwin=self.window or 22)
            return StreamEncoder(
                lambda d: br.process(d) + br.flush(),
                lambda d: br.process(d) + br.finish(),
                self.inline_limit,
            )
        if self.name == "zstd":
            zobj = self._new_zstd().compressobj()
            return StreamEncoder(
                lambda d: zobj.compress(d) + zobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK),
                lambda d: zobj.compress(d) + zobj.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH),
                self.inline_limit,
            )
        gz = zlib.compressobj(self.level, zlib.DEFLATED, 16 + (self.window or 15))
        return StreamEncoder(
            lambda d: gz.compress(d) + gz.flush(zlib.Z_SYNC_FLUSH),
            lambda d: gz.compress(d) + gz.flush(zlib.Z_FINISH),
            self.inline_limit,
        )

    def _zstd(self) -> Any:
        compressor = getattr(self._local, "zstd", None)
        if compressor is None:
            compressor = self._local.zstd = self._new_zstd()
        return compressor

    def _new_zstd(self) -> Any:
        if self.window is None:
            return zstandard.ZstdCompressor(level=self.level)
        params = zstandard.ZstdCompressionParameters.from_level(self.level, window_log=self.window)
        return zstandard.ZstdCompressor(compression_params=params)


VARY_LINE: Final = b"vary: accept-encoding\r\n"
"""The head line ``Compression.select`` asks for when the handler set no ``Vary``."""
# A handler that set these already chose how the body is encoded.
_ALREADY_ENCODED: Final = frozenset({"content-encoding", "content-range"})
# Negotiation results kept per distinct Accept-Encoding value; cleared when full.
_CACHE_SIZE: Final = 256


class Compression:
    """What the server compresses, and how: built once from ``ServerConfig``.

    ``select`` decides per response; ``codecs`` maps each enabled coding to its
    ``Codec``. A negative level disables a codec.
    """

    __slots__ = ("_negotiated", "_types", "codecs", "codings", "min_size")

    def __init__(self, min_size: int, codecs: Sequence[Codec]) -> None:
        self.min_size = min_size
        self.codecs = {codec.name: codec for codec in codecs}
        self.codings = tuple(c for c in CODINGS if c in self.codecs)
        self._negotiated: dict[str, str | None] = {}
        self._types: dict[str, bool] = {}

    @staticmethod
    def for_config(config: ServerConfig) -> Compression | None:
        """The compression of ``config`` (shared per config), None if every codec is off."""
        # PERF: every connection asks; the same config object is the common case.
        if _LAST and _LAST[0][0] is config:
            return _LAST[0][1]
        compression = _for_config(config)
        _LAST[:] = [(config, compression)]
        return compression

    def _compressible(self, content_type: str) -> bool:
        types = self._types
        found = types.get(content_type)
        if found is None:
            if len(types) >= _CACHE_SIZE:
                types.clear()  # handlers choose the keys; keep the cache bounded
            found = types[content_type] = is_compressible(content_type)
        return found

    def negotiate(self, accept: str) -> str | None:
        """The coding for an ``Accept-Encoding`` value (cached per distinct value)."""
        cache = self._negotiated
        try:
            return cache[accept]
        except KeyError:
            pass
        if len(cache) >= _CACHE_SIZE:
            cache.clear()  # SECURITY: clients choose the keys; keep the cache bounded
        coding = cache[accept] = choose_encoding(accept, self.codings)
        return coding

    def select(
        self,
        headers: Headers,
        content_type: str | None,
        accept_encoding: Callable[[], str | None],
    ) -> tuple[Codec | None, bytes]:
        """The codec for this response (or None), and a ``Vary`` line for the head.

        A body qualifies when its type is compressible and the handler set neither
        ``Content-Encoding`` nor ``Content-Range``. ``Vary: accept-encoding`` goes on
        every qualifying response, compressed or not, so caches keep the variants apart:
        merged into the handler's ``Vary`` if it set one, else returned as ``VARY_LINE``.
        """
        if not content_type or not self._compressible(content_type):
            return None, b""
        has_vary = False
        for name, _ in headers.items():  # PERF: one pass over the handler's headers
            if name in _ALREADY_ENCODED:
                return None, b""
            has_vary = has_vary or name == "vary"
        line = b""
        if has_vary:
            add_vary(headers)
        else:
            line = VARY_LINE  # PERF: a constant line skips header validation
        accept = accept_encoding()
        if accept is None:
            return None, line
        coding = self.negotiate(accept)
        return (None if coding is None else self.codecs[coding]), line


_LAST: list[tuple[ServerConfig, Compression | None]] = []


@lru_cache(maxsize=16)
def _for_config(config: ServerConfig) -> Compression | None:
    levels = (
        ("br", config.compress_brotli_level, config.compress_brotli_window_log),
        ("zstd", config.compress_zstd_level, config.compress_zstd_window_log),
        ("gzip", config.compress_gzip_level, config.compress_gzip_window_bits),
    )
    codecs = [Codec(name, level, window) for name, level, window in levels if level >= 0]
    return Compression(config.compress_min_size, codecs) if codecs else None
