"""``StaticAssets`` through ``TestClient``: caching headers, variants, validators, ranges."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from stario import App, Router, ServerConfig
from stario.compression import CODINGS
from stario.files import CHUNK_SIZE
from stario.http.connection import Connection
from stario.static import IMMUTABLE, AssetManifest, StaticAssets
from stario.telemetry import NoopTracer
from stario.testing import MemoryTransport, TestClient
from tests.compression.codecs import decode
from tests.compression.wire import open_app, without_date
from tests.http.httpkit import parse_all, read_responses, settle
from tests.static.conftest import BIG_BINARY, BIG_TEXT, CSS


def make_app(manifest: AssetManifest) -> App:
    app = App()
    StaticAssets(manifest).register(app)
    return app


@pytest.fixture
async def client(manifest: AssetManifest) -> AsyncIterator[TestClient[Any]]:
    async with TestClient(make_app(manifest), follow_redirects=False) as client:
        yield client


async def raw(
    client: TestClient[Any], url: str, method: str = "GET", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    sent = {k.replace("_", "-"): v for k, v in headers.items()}
    async with client.stream(method, url, headers=sent) as response:
        body = b"".join([chunk async for chunk in response.iter_raw()])
        return response.status_code, dict(response.headers.items()), body


async def test_fingerprinted_file_is_served_immutable(
    client: TestClient[Any], manifest: AssetManifest
) -> None:
    status, headers, body = await raw(client, manifest.href("css/app.css"))
    assert status == 200
    assert body == CSS
    assert headers["cache-control"] == IMMUTABLE
    assert headers["content-type"] == "text/css; charset=utf-8"
    assert headers["content-length"] == str(len(CSS))
    assert headers["etag"] == f'"{manifest["css/app.css"].digest}"'
    assert headers["last-modified"].endswith(" GMT")
    assert headers["accept-ranges"] == "bytes"
    assert headers["vary"] == "accept-encoding"
    assert "content-encoding" not in headers


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize(("name", "content"), [("css/app.css", CSS), ("big.txt", BIG_TEXT)])
async def test_precompressed_variants_decode_byte_for_byte(
    client: TestClient[Any], manifest: AssetManifest, coding: str, name: str, content: bytes
) -> None:
    status, headers, body = await raw(client, manifest.href(name), accept_encoding=coding)
    assert status == 200
    assert headers["content-encoding"] == coding
    assert headers["vary"] == "accept-encoding"
    assert headers["etag"] == f'"{manifest[name].digest}-{coding}"'
    assert headers["cache-control"] == IMMUTABLE
    assert int(headers["content-length"]) == len(body) < len(content)
    assert "accept-ranges" not in headers
    assert decode(coding, body) == content


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, zstd", "zstd"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("xgzip", None),
        ("*;q=0", None),
    ],
)
async def test_variants_are_negotiated(
    client: TestClient[Any], manifest: AssetManifest, accept: str, expected: str | None
) -> None:
    _, headers, _ = await raw(client, manifest.href("css/app.css"), accept_encoding=accept)
    assert headers.get("content-encoding") == expected


async def test_incompressible_files_have_no_variants(
    client: TestClient[Any], manifest: AssetManifest
) -> None:
    status, headers, body = await raw(client, manifest.href("img/logo.png"), accept_encoding="br")
    assert status == 200
    assert "content-encoding" not in headers
    assert "vary" not in headers
    assert headers["content-type"] == "image/png"
    assert body == (manifest["img/logo.png"].file).read_bytes()


async def test_large_files_stream_from_disk(
    client: TestClient[Any], manifest: AssetManifest
) -> None:
    status, headers, body = await raw(client, manifest.href("big.bin"), accept_encoding="br")
    assert status == 200
    assert headers["content-length"] == str(len(BIG_BINARY))
    assert body == BIG_BINARY
    status, headers, body = await raw(client, manifest.href("big.txt"))
    assert body == BIG_TEXT  # identity from disk, variants from memory
    assert headers["vary"] == "accept-encoding"


async def test_empty_file(client: TestClient[Any], manifest: AssetManifest) -> None:
    status, headers, body = await raw(client, manifest.href("empty.txt"), range="bytes=0-")
    assert (status, headers["content-length"], body) == (200, "0", b"")


# --- conditional requests ------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "br", "gzip"])
async def test_if_none_match_answers_304(
    client: TestClient[Any], manifest: AssetManifest, accept: str | None
) -> None:
    url = manifest.href("css/app.css")
    extra = {} if accept is None else {"accept_encoding": accept}
    _, first, _ = await raw(client, url, **extra)
    status, headers, body = await raw(client, url, if_none_match=first["etag"], **extra)
    assert status == 304
    assert body == b""
    assert headers["etag"] == first["etag"]
    assert headers["cache-control"] == IMMUTABLE
    assert headers["vary"] == "accept-encoding"
    assert "content-encoding" not in headers
    assert "content-length" not in headers


@pytest.mark.parametrize(
    ("template", "status"),
    [
        ("{etag}", 304),
        ("W/{etag}", 304),  # If-None-Match compares weakly
        ('"other", {etag}', 304),
        ("*", 304),
        ('"other"', 200),
        ("{etag_br}", 200),  # the br variant's tag does not match the identity body
        ("garbage", 200),
    ],
)
async def test_if_none_match_forms(
    client: TestClient[Any], manifest: AssetManifest, template: str, status: int
) -> None:
    asset = manifest["css/app.css"]
    value = template.format(etag=f'"{asset.digest}"', etag_br=f'"{asset.digest}-br"')
    got, _, _ = await raw(client, manifest.href("css/app.css"), if_none_match=value)
    assert got == status


async def test_if_modified_since(client: TestClient[Any], manifest: AssetManifest) -> None:
    url = manifest.href("big.bin")
    _, headers, _ = await raw(client, url, method="HEAD")
    modified = headers["last-modified"]
    assert (await raw(client, url, if_modified_since=modified))[0] == 304
    assert (await raw(client, url, if_modified_since="Thu, 01 Jan 1970 00:00:00 GMT"))[0] == 200
    assert (await raw(client, url, if_modified_since="yesterday"))[0] == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    status, _, _ = await raw(client, url, if_modified_since=modified, if_none_match='"x"')
    assert status == 200


# --- HEAD ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "accept"),
    [("css/app.css", None), ("css/app.css", "br"), ("big.bin", None), ("big.txt", "zstd")],
)
async def test_head_has_the_headers_of_get(
    manifest: AssetManifest, name: str, accept: str | None
) -> None:
    _, t = open_app(make_app(manifest))
    lines = f"Host: t\r\nAccept-Encoding: {accept}\r\n" if accept else "Host: t\r\n"
    url = manifest.href(name)
    t.feed(f"GET {url} HTTP/1.1\r\n{lines}\r\nHEAD {url} HTTP/1.1\r\n{lines}\r\n".encode())
    (get, head), _ = await read_responses(t, 2, heads=(False, True))
    assert get.status == head.status == 200
    assert without_date(head) == without_date(get)
    assert head.body == b""


# --- ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, len(CSS) - 1),
        ("bytes=-10", len(CSS) - 10, len(CSS) - 1),
        ("bytes=-99999", 0, len(CSS) - 1),
        ("bytes=4000-999999", 4000, len(CSS) - 1),
        ("BYTES = 5 - 5", 5, 5),
    ],
)
async def test_single_range(
    client: TestClient[Any], manifest: AssetManifest, value: str, first: int, last: int
) -> None:
    status, headers, body = await raw(
        client, manifest.href("css/app.css"), range=value, accept_encoding="br"
    )
    assert status == 206
    assert headers["content-range"] == f"bytes {first}-{last}/{len(CSS)}"
    assert headers["content-length"] == str(last - first + 1)
    assert "content-encoding" not in headers  # ranges apply to the identity bytes
    assert body == CSS[first : last + 1]


@pytest.mark.parametrize("value", ["bytes=4096-", "bytes=99999-100000", "bytes=-0"])
async def test_unsatisfiable_range_answers_416(
    client: TestClient[Any], manifest: AssetManifest, value: str
) -> None:
    status, headers, _ = await raw(client, manifest.href("css/app.css"), range=value)
    assert status == 416
    assert headers["content-range"] == f"bytes */{len(CSS)}"
    # An error, not the asset: no cache may keep it for a year.
    assert "cache-control" not in headers


@pytest.mark.parametrize(
    "value", ["bytes=0-1,5-6", "bytes=9-2", "items=0-1", "bytes=abc", "bytes=", "bytes=--1"]
)
async def test_multiple_or_malformed_ranges_get_the_whole_file(
    client: TestClient[Any], manifest: AssetManifest, value: str
) -> None:
    status, headers, body = await raw(client, manifest.href("css/app.css"), range=value)
    assert status == 200
    assert "content-range" not in headers
    assert body == CSS


async def test_range_on_a_file_streamed_from_disk(
    client: TestClient[Any], manifest: AssetManifest
) -> None:
    first, last = CHUNK_SIZE - 10, 3 * CHUNK_SIZE + 10  # crosses chunk boundaries
    status, headers, body = await raw(
        client, manifest.href("big.bin"), range=f"bytes={first}-{last}"
    )
    assert status == 206
    assert headers["content-range"] == f"bytes {first}-{last}/{len(BIG_BINARY)}"
    assert body == BIG_BINARY[first : last + 1]
    status, _, body = await raw(client, manifest.href("big.bin"), range="bytes=-100")
    assert (status, body) == (206, BIG_BINARY[-100:])


async def test_if_range(client: TestClient[Any], manifest: AssetManifest) -> None:
    url = manifest.href("big.bin")
    _, headers, _ = await raw(client, url, method="HEAD")
    etag, modified = headers["etag"], headers["last-modified"]
    assert (await raw(client, url, range="bytes=0-3", if_range=etag))[0] == 206
    assert (await raw(client, url, range="bytes=0-3", if_range=modified))[0] == 206
    assert (await raw(client, url, range="bytes=0-3", if_range='"stale"'))[0] == 200
    assert (await raw(client, url, range="bytes=0-3", if_range="W/" + etag))[0] == 200
    old = "Thu, 01 Jan 1970 00:00:00 GMT"
    status, _, body = await raw(client, url, range="bytes=0-3", if_range=old)
    assert (status, len(body)) == (200, len(BIG_BINARY))


async def test_head_ignores_range(client: TestClient[Any], manifest: AssetManifest) -> None:
    status, headers, body = await raw(client, manifest.href("big.bin"), "HEAD", range="bytes=0-1")
    assert (status, headers["content-length"], body) == (200, str(len(BIG_BINARY)), b"")


# --- redirects and misses ----------------------------------------------------------------


async def test_plain_name_redirects_to_the_fingerprint(
    client: TestClient[Any], manifest: AssetManifest
) -> None:
    for method in ("GET", "HEAD"):
        status, headers, _ = await raw(client, "/static/css/app.css", method)
        assert status == 307
        assert headers["location"] == manifest.href("css/app.css")
        assert headers["cache-control"] == "public, max-age=60"
    response = await client.get("/static/css/app.css", follow_redirects=True)
    assert response.content == CSS


@pytest.mark.parametrize(
    "url", ["/static/nope.css", "/static/css", "/static/css/", "/static/", "/static/img"]
)
async def test_unknown_paths_are_404(client: TestClient[Any], url: str) -> None:
    response = await client.get(url, follow_redirects=True)
    assert response.status_code == 404


async def test_a_file_changed_after_startup_is_not_served(site: Path) -> None:
    manifest = AssetManifest(site)
    async with TestClient(make_app(manifest)) as client:
        (site / "big.bin").write_bytes(b"replaced")
        response = await client.get(manifest.href("big.bin"))
    assert response.status_code == 404


async def test_a_symlink_re_pointed_after_startup_still_serves_its_old_target(
    site: Path,
) -> None:
    os.symlink(site / "big.bin", site / "big-link.bin")
    manifest = AssetManifest(site)
    # Same size and modification time, but outside the directory.
    outside = site.parent / "outside" / "same-size.bin"
    outside.write_bytes(bytes(len(BIG_BINARY)))
    st = (site / "big.bin").stat()
    os.utime(outside, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.symlink(outside, site / "new-link")
    os.replace(site / "new-link", site / "big-link.bin")
    async with TestClient(make_app(manifest)) as client:
        response = await client.get(manifest.href("big-link.bin"))
    assert response.status_code == 200
    assert response.content == BIG_BINARY


async def test_served_under_a_mounted_router(manifest: AssetManifest) -> None:
    app, assets = App(), Router()
    StaticAssets(manifest).register(assets)
    app.mount("/v1", assets)
    async with TestClient(app) as client:
        response = await client.get("/v1" + manifest.href("css/app.css"))
    assert response.content == CSS


async def test_a_slow_reader_holds_the_file_on_disk(manifest: AssetManifest) -> None:
    app = make_app(manifest)
    app.freeze()
    conn = Connection(app.dispatch, ServerConfig(), NoopTracer())
    t = MemoryTransport(conn, write_buffer_limit=64 * 1024)
    t.feed(f"GET {manifest.href('big.bin')} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    limit = 64 * 1024
    for _ in range(1000):  # wait (bounded) until the transport asks the server to pause
        if t.get_write_buffer_size() > limit:
            break
        await asyncio.sleep(0.005)
    loop = asyncio.get_running_loop()
    for _ in range(5):  # time for further disk reads, were the handler not waiting
        await loop.run_in_executor(None, lambda: None)
        await settle()
    data = t.take()
    # Paused by backpressure: at most one chunk beyond the buffer limit went out.
    assert limit < len(data) <= limit + CHUNK_SIZE + 1024
    while len(parse_all(data, eof=False)) < 1:
        data += await t.read()
    (resp,) = parse_all(data, eof=False)
    assert resp.body == BIG_BINARY
