"""Path traversal and hidden files: every attempt ends in 404, in memory and on a socket.

The requests are raw bytes, so nothing between the test and the server normalises
them. A raw NUL byte in the request line is not HTTP at all: the parser answers 400
before any route runs; every percent-encoded form reaches the handler and gets 404.
"""

from __future__ import annotations

import asyncio

import pytest

from stario import App
from stario.static import AssetManifest, StaticAssets
from stario.testing import TestClient
from tests.http.httpkit import parse_all, serving

BOUND = 10.0


def attacks(manifest: AssetManifest) -> list[bytes]:
    css = manifest["css/app.css"].hashed.encode()  # css/app.<hash>.css
    name = css.split(b"/", 1)[1]
    return [
        b"/static/../leak.txt",
        b"/static/../../etc/passwd",
        b"/static/css/../../outside/secret.txt",
        b"/static/..%2fleak.txt",
        b"/static/..%2Fleak.txt",
        b"/static/%2e%2e/%2e%2e/etc/passwd",
        b"/static/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        b"/static/%252e%252e/leak.txt",
        b"/static/%c0%ae%c0%ae/leak.txt",
        b"/static/css%2f" + name,
        b"/static/css%2F" + name,
        b"/static/css%5c" + name,
        b"/static/css\\" + name,
        b"/static/css/..\\..\\leak.txt",
        b"/static/" + css + b"%00",
        b"/static/" + css + b"%00.png",
        b"/static/./" + css,
        b"/static//" + css,
        b"/static/.env",
        b"/static/%2eenv",
        b"/static/.git/config",
        b"/static/.git%2fconfig",
        b"/static/css/.draft.css",
        b"/static/css/.secret/x.css",
        b"/static/leak.txt",
        b"/static/linked-dir/secret.txt",
        b"/static/dangling.txt",
        b"/static/env.txt",
        b"/static/git-config.txt",
        b"/static//etc/passwd",
        b"/static/%2fetc/passwd",
        b"/static/" + css + b"/..",
    ]


def make_app(manifest: AssetManifest) -> App:
    app = App()
    StaticAssets(manifest).register(app)
    return app


def raw_request(target: bytes) -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br\r\n\r\n"


async def test_every_attempt_is_404_in_memory(manifest: AssetManifest) -> None:
    targets = attacks(manifest)
    async with TestClient(make_app(manifest)) as client:
        async with client.connection() as conn:
            conn.send(b"".join(raw_request(t) for t in targets))
            for target in targets:
                response = await conn.read_response()
                assert response.status_code == 404, target
                assert b"outside" not in response.content
        # The real asset is reachable on the same app, so 404 is not a blanket answer.
        assert (await client.get(manifest.href("css/app.css"))).status_code == 200


async def test_a_raw_nul_byte_is_rejected_by_the_parser(manifest: AssetManifest) -> None:
    async with TestClient(make_app(manifest)) as client, client.connection() as conn:
        conn.send(raw_request(b"/static/tiny\x00.txt"))
        assert (await conn.read_response()).status_code == 400


async def test_every_attempt_is_404_over_a_socket(manifest: AssetManifest) -> None:
    targets = attacks(manifest)
    async with serving(make_app(manifest)) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"".join(raw_request(t) for t in targets))
            writer.write(raw_request(manifest.href("css/app.css").encode()))
            data = b""
            while len(parse_all(data, eof=False)) < len(targets) + 1:
                chunk = await asyncio.wait_for(reader.read(65536), BOUND)
                assert chunk, "the server closed early"
                data += chunk
        finally:
            writer.close()
    responses = parse_all(data, eof=False)
    for target, response in zip(targets, responses, strict=False):
        assert response.status == 404, target
        assert b"outside the directory" not in response.body
    assert responses[-1].status == 200


@pytest.mark.parametrize(
    "target",
    [b"/static/.env", b"/static/leak.txt", b"/static/env.txt", b"/static/git-config.txt"],
)
async def test_hidden_and_escaping_files_exist_on_disk(
    manifest: AssetManifest, target: bytes
) -> None:
    # Guard against a vacuous pass: the files the attacks aim at are really there.
    name = target.decode().removeprefix("/static/")
    path = manifest.directory / name
    assert path.exists()
    assert name not in manifest
