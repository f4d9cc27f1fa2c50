"""Undoing ``Content-Encoding`` (gzip, deflate, br, zstd) on response bodies, incrementally."""

from __future__ import annotations

import zlib
from typing import Any, Protocol

import brotli
import zstandard

from stario.testing.errors import ProtocolError

__all__ = ["ContentDecoder", "content_decoder", "decode_content"]


class ContentDecoder(Protocol):
    """Decodes a body piece by piece; ``flush()`` returns what is left at the end."""

    def decode(self, data: bytes) -> bytes:
        """Decode the next piece of the encoded body."""
        ...

    def flush(self) -> bytes:
        """Finish decoding; raise ``ProtocolError`` if the body was incomplete."""
        ...


class _Identity:
    __slots__ = ()

    def decode(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class _Zlib:
    __slots__ = ("_first", "_obj", "_raw_fallback")

    def __init__(self, wbits: int, *, raw_fallback: bool = False) -> None:
        self._obj: Any = zlib.decompressobj(wbits)
        self._first = True
        # Some servers send raw deflate (no zlib header) for "deflate"; accept both.
        self._raw_fallback = raw_fallback

    def decode(self, data: bytes) -> bytes:
        try:
            out: bytes = self._obj.decompress(data)
        except zlib.error as exc:
            if not (self._first and self._raw_fallback):
                raise ProtocolError(f"bad compressed body: {exc}") from exc
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._obj.decompress(data)
        self._first = self._first and not data
        return out

    def flush(self) -> bytes:
        out: bytes = self._obj.flush()
        if not self._obj.eof and not self._first:
            raise ProtocolError("compressed body ends before the end of the stream")
        return out


class _Brotli:
    __slots__ = ("_obj",)

    def __init__(self) -> None:
        self._obj: Any = brotli.Decompressor()

    def decode(self, data: bytes) -> bytes:
        try:
            out = self._obj.process(data)
            if not out:
                return b""
            # brotli >= 1.2 returns at most ~32 KiB per call and keeps the rest
            # (google/brotli#1396): drain it, or it would only come with the next piece.
            parts = [bytes(out)]
            while more := self._obj.process(b""):
                parts.append(bytes(more))
            return b"".join(parts)
        except brotli.error as exc:
            raise ProtocolError(f"bad brotli body: {exc}") from exc

    def flush(self) -> bytes:
        if not self._obj.is_finished():
            raise ProtocolError("brotli body ends before the end of the stream")
        return b""


class _Zstd:
    __slots__ = ("_obj",)

    def __init__(self) -> None:
        self._obj: Any = zstandard.ZstdDecompressor().decompressobj()

    def decode(self, data: bytes) -> bytes:
        try:
            return bytes(self._obj.decompress(data))
        except zstandard.ZstdError as exc:
            raise ProtocolError(f"bad zstd body: {exc}") from exc

    def flush(self) -> bytes:
        return b""


class _Chain:
    """Several codings, applied by the server in order, undone in reverse."""

    __slots__ = ("_decoders",)

    def __init__(self, decoders: list[ContentDecoder]) -> None:
        self._decoders = decoders

    def decode(self, data: bytes) -> bytes:
        for decoder in self._decoders:
            data = decoder.decode(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for decoder in self._decoders:
            data = decoder.decode(data) + decoder.flush()
        return data


def _one(coding: str) -> ContentDecoder:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS, raw_fallback=True)
    if coding == "br":
        return _Brotli()
    if coding == "zstd":
        return _Zstd()
    return _Identity()  # identity, or a coding we do not know: hand over the bytes as sent


def content_decoder(content_encoding: str | None) -> ContentDecoder:
    """A decoder for a ``Content-Encoding`` header value (None or empty: identity)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    if not codings:
        return _Identity()
    if len(codings) == 1:
        return _one(codings[0])
    return _Chain([_one(c) for c in reversed(codings)])


def decode_content(content_encoding: str | None, body: bytes) -> bytes:
    """A whole body with ``content_encoding`` undone."""
    decoder = content_decoder(content_encoding)
    return decoder.decode(body) + decoder.flush()
