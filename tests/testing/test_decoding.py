"""Content-Encoding decoding of response bodies, whole and streamed."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard

from stario import App, Context, Writer
from stario.testing import ProtocolError, TestClient
from stario.testing.decoding import content_decoder, decode_content

TEXT = b"compressible " * 100

ENCODED = {
    "gzip": gzip.compress(TEXT),
    "deflate": zlib.compress(TEXT),
    "br": brotli.compress(TEXT),
    "zstd": zstandard.ZstdCompressor().compress(TEXT),
}


@pytest.mark.parametrize("coding", sorted(ENCODED))
def test_each_coding_whole_and_in_pieces(coding: str) -> None:
    data = ENCODED[coding]
    assert decode_content(coding, data) == TEXT
    decoder = content_decoder(coding)
    out = b"".join(decoder.decode(data[i : i + 7]) for i in range(0, len(data), 7))
    assert out + decoder.flush() == TEXT


@pytest.mark.parametrize("coding", sorted(ENCODED))
def test_a_large_flushed_piece_decodes_completely_at_once(coding: str) -> None:
    # brotli >= 1.2 returns ~32 KiB per process() call; the decoder must drain the rest
    # now, or a large SSE event would wait for the next piece of the stream.
    big = TEXT * 500
    if coding == "br":
        compressor = brotli.Compressor()
        piece = compressor.process(big) + compressor.flush()
    elif coding == "zstd":
        zobj = zstandard.ZstdCompressor().compressobj()
        piece = zobj.compress(big) + zobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    else:
        wbits = zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS
        zobj = zlib.compressobj(wbits=wbits)
        piece = zobj.compress(big) + zobj.flush(zlib.Z_SYNC_FLUSH)
    assert content_decoder(coding).decode(piece) == big


def test_raw_deflate_and_stacked_codings() -> None:
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decode_content("deflate", raw.compress(TEXT) + raw.flush()) == TEXT
    assert decode_content("gzip, br", brotli.compress(gzip.compress(TEXT))) == TEXT
    assert decode_content("identity", b"plain") == b"plain"


def test_truncated_compressed_body_is_an_error() -> None:
    with pytest.raises(ProtocolError):
        decode_content("gzip", ENCODED["gzip"][:-8])


async def test_client_decodes_what_the_app_compressed() -> None:
    app = App()

    async def compressed(c: Context, w: Writer) -> None:
        w.headers.set("content-encoding", "br")
        w.respond(ENCODED["br"], "text/plain")

    async def streamed(c: Context, w: Writer) -> None:
        w.headers.set("content-encoding", "gzip")
        data = ENCODED["gzip"]
        w.write(data[:10])
        w.end(data[10:])

    app.get("/whole", compressed)
    app.get("/streamed", streamed)
    async with TestClient(app) as client:
        assert (await client.get("/whole")).content == TEXT
        async with client.stream("GET", "/streamed") as response:
            assert await response.read() == TEXT
