"""Compressed dynamic responses through ``TestClient``: whole bodies, headers, config.

Every compressed body is read raw and decoded with the codec's reference library.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

import brotli
import pytest
import zstandard

from stario import App, Context, ServerConfig, Writer, responses
from stario.compression import CODINGS
from stario.testing import TestClient
from tests.compression.codecs import decode, html_page

PAGE = html_page(20_000)
HUGE = html_page(3_000_000)  # above every default in-loop limit: compressed in a thread
SMALL = b"x" * 100
ROWS = {"rows": [PAGE.decode()[:5000]] * 4}


def make_app() -> App:
    app = App()

    async def page(c: Context, w: Writer) -> None:
        w.respond(PAGE, "text/html; charset=utf-8")

    async def huge(c: Context, w: Writer) -> None:
        w.respond(HUGE, "text/html; charset=utf-8")

    async def small(c: Context, w: Writer) -> None:
        w.respond(SMALL, "text/plain")

    async def typed(c: Context, w: Writer) -> None:
        w.respond(PAGE, c.req.query.get("type") or "")

    async def json_page(c: Context, w: Writer) -> None:
        responses.json(w, ROWS)

    async def ended(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/csv")
        w.end(PAGE)

    async def preencoded(c: Context, w: Writer) -> None:
        w.headers.set("content-encoding", "gzip")
        w.respond(zlib.compress(PAGE, 6, 31), "text/html")

    async def vary(c: Context, w: Writer) -> None:
        for value in c.req.query.getlist("v"):
            w.headers.add("vary", value)
        w.respond(PAGE, "text/html")

    async def etag(c: Context, w: Writer) -> None:
        w.headers.set("etag", '"v1"')
        w.respond(PAGE, "text/html")

    async def skipped(c: Context, w: Writer) -> None:
        w.skip_compression()
        w.respond(PAGE, "text/html")

    async def not_found(c: Context, w: Writer) -> None:
        w.respond(PAGE, "text/html", 404)

    async def sized(c: Context, w: Writer) -> None:
        w.respond(b"a" * int(c.req.query.get("n") or 0), "text/plain")

    async def partial(c: Context, w: Writer) -> None:
        w.headers.set("content-range", f"bytes 0-{len(PAGE) - 1}/{len(PAGE) * 2}")
        w.respond(PAGE, "text/html", 206)

    async def streamed_preencoded(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/html")
        w.headers.set("content-encoding", "gzip")
        encoded = zlib.compress(PAGE, 6, 31)
        w.write(encoded[:100])
        w.end(encoded[100:])

    for path, handler in {
        "/page": page,
        "/huge": huge,
        "/small": small,
        "/typed": typed,
        "/json": json_page,
        "/ended": ended,
        "/preencoded": preencoded,
        "/vary": vary,
        "/etag": etag,
        "/skipped": skipped,
        "/missing": not_found,
        "/sized": sized,
        "/partial": partial,
        "/streamed-preencoded": streamed_preencoded,
    }.items():
        app.get(path, handler)
    return app


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any]]:
    async with TestClient(make_app()) as client:
        yield client


async def raw_get(
    client: TestClient[Any],
    url: str,
    accept: str | None = None,
    params: dict[str, str] | None = None,
) -> tuple[dict[str, str], bytes, int]:
    """(headers, raw body as sent, status) of one GET."""
    sent = {} if accept is None else {"accept-encoding": accept}
    async with client.stream("GET", url, headers=sent, params=params) as response:
        body = b"".join([chunk async for chunk in response.iter_raw()])
        return dict(response.headers.items()), body, response.status_code


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/page", PAGE),
        ("/huge", HUGE),
        ("/ended", PAGE),
        ("/missing", PAGE),
        ("/json", responses.dumps(ROWS)),
    ],
)
async def test_whole_bodies_decode_byte_for_byte(
    client: TestClient[Any], coding: str, url: str, expected: bytes
) -> None:
    headers, body, _ = await raw_get(client, url, coding)
    assert headers["content-encoding"] == coding
    assert headers["vary"] == "accept-encoding"
    assert int(headers["content-length"]) == len(body) < len(expected)
    assert decode(coding, body) == expected


async def test_end_keeps_the_handlers_content_type(client: TestClient[Any]) -> None:
    headers, body, _ = await raw_get(client, "/ended", "br")
    assert headers["content-type"] == "text/csv"
    assert decode("br", body) == PAGE


async def test_browser_header_picks_brotli(client: TestClient[Any]) -> None:
    headers, body, _ = await raw_get(client, "/page", "gzip, deflate, br, zstd")
    assert headers["content-encoding"] == "br"
    assert decode("br", body) == PAGE


async def test_no_accept_encoding_sends_identity_with_vary(client: TestClient[Any]) -> None:
    headers, body, _ = await raw_get(client, "/page")
    assert "content-encoding" not in headers
    assert headers["vary"] == "accept-encoding"  # caches must keep the variants apart
    assert body == PAGE


@pytest.mark.parametrize("accept", ["identity", "br;q=0, gzip;q=0, zstd;q=0", "deflate", ""])
async def test_nothing_acceptable_sends_identity(client: TestClient[Any], accept: str) -> None:
    headers, body, _ = await raw_get(client, "/page", accept)
    assert "content-encoding" not in headers
    assert body == PAGE


async def test_small_bodies_are_left_alone(client: TestClient[Any]) -> None:
    headers, body, _ = await raw_get(client, "/small", "br, gzip")
    assert "content-encoding" not in headers
    assert "vary" not in headers
    assert body == SMALL


async def test_min_size_comes_from_config() -> None:
    async with TestClient(make_app(), config=ServerConfig(compress_min_size=50)) as client:
        headers, body, _ = await raw_get(client, "/small", "gzip")
    assert headers["content-encoding"] == "gzip"
    assert decode("gzip", body) == SMALL


async def test_min_size_is_inclusive() -> None:
    async with TestClient(make_app(), config=ServerConfig(compress_min_size=600)) as client:
        headers, body, _ = await raw_get(client, "/sized", "gzip", {"n": "600"})
        assert headers["content-encoding"] == "gzip"
        assert decode("gzip", body) == b"a" * 600
        headers, body, _ = await raw_get(client, "/sized", "gzip", {"n": "599"})
        assert "content-encoding" not in headers
        assert body == b"a" * 599


@pytest.mark.parametrize(
    "ctype",
    [
        "image/png",
        "image/jpeg",
        "image/webp",
        "audio/mpeg",
        "video/mp4",
        "application/zip",
        "application/gzip",
        "application/zstd",
        "application/x-7z-compressed",
        "application/octet-stream",
        "application/pdf",
        "font/woff2",
        "font/woff",
        "",
    ],
)
async def test_already_compressed_types_are_not_compressed(
    client: TestClient[Any], ctype: str
) -> None:
    headers, body, _ = await raw_get(client, "/typed", "br, gzip, zstd", {"type": ctype})
    assert "content-encoding" not in headers
    assert "vary" not in headers
    assert body == PAGE


@pytest.mark.parametrize(
    "ctype",
    [
        "text/plain",
        "text/css; charset=utf-8",
        "text/event-stream",
        "TEXT/HTML",
        "application/json",
        "application/vnd.api+json",
        "application/atom+xml",
        "application/javascript",
        "image/svg+xml",
        "application/wasm",
        "font/ttf",
    ],
)
async def test_text_like_types_are_compressed(client: TestClient[Any], ctype: str) -> None:
    headers, body, _ = await raw_get(client, "/typed", "zstd", {"type": ctype})
    assert headers["content-encoding"] == "zstd"
    assert decode("zstd", body) == PAGE


async def test_a_response_with_content_encoding_is_untouched(client: TestClient[Any]) -> None:
    headers, body, _ = await raw_get(client, "/preencoded", "br, zstd")
    assert headers["content-encoding"] == "gzip"
    assert "vary" not in headers
    assert decode("gzip", body) == PAGE


async def test_a_streamed_response_with_content_encoding_is_untouched(
    client: TestClient[Any],
) -> None:
    headers, body, _ = await raw_get(client, "/streamed-preencoded", "br, zstd, gzip")
    assert headers["content-encoding"] == "gzip"
    assert headers["transfer-encoding"] == "chunked"
    assert "vary" not in headers
    assert decode("gzip", body) == PAGE


async def test_a_response_with_content_range_is_untouched(client: TestClient[Any]) -> None:
    headers, body, status = await raw_get(client, "/partial", "br, zstd, gzip")
    assert status == 206
    assert "content-encoding" not in headers
    assert "vary" not in headers
    assert body == PAGE


async def test_skip_compression_sends_as_is(client: TestClient[Any]) -> None:
    headers, body, _ = await raw_get(client, "/skipped", "br")
    assert "content-encoding" not in headers
    assert "vary" not in headers
    assert body == PAGE


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Cookie"], "Cookie, accept-encoding"),
        (["Accept-Encoding"], "Accept-Encoding"),
        (["cookie, ACCEPT-ENCODING"], "cookie, ACCEPT-ENCODING"),
        (["Cookie", "Origin"], "Cookie, Origin, accept-encoding"),
        (["Cookie", "accept-encoding", "cookie"], "Cookie, accept-encoding"),
        (["*"], "*"),
    ],
)
async def test_vary_is_merged_not_duplicated(
    client: TestClient[Any], values: list[str], expected: str
) -> None:
    query = "&".join(f"v={v}" for v in values)
    async with client.stream("GET", f"/vary?{query}", headers={"accept-encoding": "gzip"}) as r:
        assert r.headers.getlist("vary") == [expected]
        assert decode("gzip", b"".join([c async for c in r.iter_raw()])) == PAGE


async def test_etag_becomes_weak_when_compressed(client: TestClient[Any]) -> None:
    headers, _, _ = await raw_get(client, "/etag", "br")
    assert headers["etag"] == 'W/"v1"'
    headers, _, _ = await raw_get(client, "/etag")
    assert headers["etag"] == '"v1"'


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "coding", "reference"),
    [
        ({"compress_gzip_level": 1}, "gzip", lambda d: zlib.compress(d, 1, 31)),
        ({"compress_gzip_level": 9}, "gzip", lambda d: zlib.compress(d, 9, 31)),
        ({"compress_brotli_level": 0}, "br", lambda d: brotli.compress(d, quality=0)),
        ({"compress_brotli_level": 9}, "br", lambda d: brotli.compress(d, quality=9)),
        ({"compress_zstd_level": 1}, "zstd", zstandard.ZstdCompressor(level=1).compress),
        ({"compress_zstd_level": 12}, "zstd", zstandard.ZstdCompressor(level=12).compress),
    ],
)
async def test_levels_come_from_config(config: dict[str, int], coding: str, reference: Any) -> None:
    async with TestClient(make_app(), config=ServerConfig(**config)) as client:
        _, body, _ = await raw_get(client, "/page", coding)
    assert body == reference(PAGE)


async def test_negative_level_disables_a_codec() -> None:
    config = ServerConfig(compress_brotli_level=-1)
    async with TestClient(make_app(), config=config) as client:
        headers, body, _ = await raw_get(client, "/page", "br, gzip;q=0.5")
    assert headers["content-encoding"] == "gzip"
    assert decode("gzip", body) == PAGE


async def test_all_codecs_disabled_send_identity_without_vary() -> None:
    config = ServerConfig(compress_brotli_level=-1, compress_zstd_level=-1, compress_gzip_level=-1)
    async with TestClient(make_app(), config=config) as client:
        headers, body, _ = await raw_get(client, "/page", "br, gzip, zstd")
    assert "content-encoding" not in headers
    assert "vary" not in headers
    assert body == PAGE


async def test_gzip_window_bits_come_from_config() -> None:
    block = bytes(range(256)) * 2 + html_page(3000, seed=1)  # repeats 3.5 KiB apart
    data = block * 4

    async def handler(c: Context, w: Writer) -> None:
        w.respond(data, "text/plain")

    def app() -> App:
        a = App()
        a.get("/", handler)
        return a

    async with TestClient(app(), config=ServerConfig(compress_gzip_window_bits=9)) as client:
        _, small_window, _ = await raw_get(client, "/", "gzip")
    async with TestClient(app()) as client:
        _, default_window, _ = await raw_get(client, "/", "gzip")
    assert _inflate_with_window(small_window, 9) == data
    with pytest.raises(zlib.error, match="too far back"):
        _inflate_with_window(default_window, 9)  # the default window reaches past 512 bytes
    assert decode("gzip", default_window) == data


def _inflate_with_window(data: bytes, wbits: int) -> bytes:
    """Inflate in 64-byte steps, so back-references must come from a ``wbits`` window."""
    inflater = zlib.decompressobj(16 + wbits)
    out = b""
    while True:
        piece = inflater.decompress(data, 64)
        out += piece
        data = inflater.unconsumed_tail
        if not data and not piece:
            return out


async def test_compression_that_does_not_pay_off_sends_identity() -> None:
    # gzip level 0 stores the data: the "compressed" body would be larger.
    config = ServerConfig(compress_gzip_level=0)
    async with TestClient(make_app(), config=config) as client:
        headers, body, _ = await raw_get(client, "/page", "gzip")
    assert "content-encoding" not in headers
    assert headers["vary"] == "accept-encoding"
    assert body == PAGE
