"""Reference decoders (the codecs' own libraries) and sample bodies for the tests."""

from __future__ import annotations

import gzip
import random
import zlib

import brotli
import zstandard


def decode(coding: str, data: bytes) -> bytes:
    """Undo one content coding with the codec's reference library."""
    if coding == "br":
        return bytes(brotli.decompress(data))
    if coding == "zstd":
        # A streamed frame has no content size; the streaming reader handles both kinds.
        out = zstandard.ZstdDecompressor().decompressobj()
        result = bytes(out.decompress(data))
        assert out.eof, "the zstd frame is not finished"
        return result
    if coding == "gzip":
        return gzip.decompress(data)
    raise AssertionError(f"unexpected coding {coding!r}")


class Incremental:
    """Decodes a body piece by piece; ``feed`` returns what the bytes so far reveal."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        if coding == "br":
            self._br = brotli.Decompressor()
        elif coding == "zstd":
            self._zstd = zstandard.ZstdDecompressor().decompressobj()
        else:
            self._gzip = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        if self.coding == "br":
            return bytes(self._br.process(data))
        if self.coding == "zstd":
            return bytes(self._zstd.decompress(data))
        return self._gzip.decompress(data)

    def finished(self) -> bool:
        if self.coding == "br":
            return bool(self._br.is_finished())
        if self.coding == "zstd":
            return bool(self._zstd.eof)
        return bool(self._gzip.eof)


def html_page(size: int, seed: int = 7) -> bytes:
    """Compressible HTML-like text of exactly ``size`` bytes."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "stario", "table", "row", "cell", "<b>", "</b>"]
    parts: list[str] = []
    length = 0
    while length < size:
        cells = " ".join(rng.choices(words, k=8))
        row = f"<tr><td>{rng.randint(0, 10**6)}</td><td>{cells}</td></tr>\n"
        parts.append(row)
        length += len(row)
    return "".join(parts).encode()[:size]
