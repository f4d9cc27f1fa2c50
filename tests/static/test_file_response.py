"""``await responses.file(c, w, path, ...)``: downloads with validators, Range and names."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from stario import App, Context, Writer, responses
from stario.testing import TestClient
from tests.static.conftest import BIG_BINARY


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "report.csv").write_bytes(b"a,b\n1,2\n" * 100)
    (tmp_path / "big.bin").write_bytes(BIG_BINARY)
    (tmp_path / "sub").mkdir()
    return tmp_path


def make_app(root: Path) -> App:
    app = App()

    async def download(c: Context, w: Writer) -> None:
        q = c.req.query
        await responses.file(
            c,
            w,
            root / c.route.params["name"],
            content_type=q.get("type"),
            download_name=q.get("as"),
            inline=q.get("inline") == "1",
        )

    app.get("/files/{name}", download)
    app.post("/files/{name}", download)
    return app


@pytest.fixture
async def client(files: Path) -> AsyncIterator[TestClient[Any]]:
    async with TestClient(make_app(files)) as client:
        yield client


async def test_small_file_whole(client: TestClient[Any], files: Path) -> None:
    response = await client.get("/files/report.csv", headers={"accept-encoding": "br"})
    assert response.status_code == 200
    assert response.content == (files / "report.csv").read_bytes()
    headers = response.headers
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["content-disposition"] == 'attachment; filename="report.csv"'
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"].startswith('"')
    assert headers["last-modified"].endswith(" GMT")
    assert "content-encoding" not in headers  # files go out as they are on disk


async def test_large_file_streams(client: TestClient[Any]) -> None:
    response = await client.get("/files/big.bin")
    assert response.headers["content-length"] == str(len(BIG_BINARY))
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == BIG_BINARY


@pytest.mark.parametrize("name", ["big.bin", "report.csv"])
async def test_range_and_416(client: TestClient[Any], files: Path, name: str) -> None:
    data = (files / name).read_bytes()
    response = await client.get(f"/files/{name}", headers={"range": "bytes=10-99"})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 10-99/{len(data)}"
    assert response.content == data[10:100]
    response = await client.get(f"/files/{name}", headers={"range": f"bytes={len(data)}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(data)}"


async def test_conditional_requests(client: TestClient[Any]) -> None:
    first = await client.get("/files/big.bin")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = await client.get("/files/big.bin", headers={"if-none-match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    since = await client.get("/files/big.bin", headers={"if-modified-since": modified})
    assert since.status_code == 304
    ranged = await client.get("/files/big.bin", headers={"range": "bytes=0-9", "if-range": '"old"'})
    assert ranged.status_code == 200


async def test_a_changed_file_gets_a_new_etag(client: TestClient[Any], files: Path) -> None:
    before = (await client.get("/files/report.csv")).headers["etag"]
    os.utime(files / "report.csv", ns=(1_000_000_000, 1_000_000_000))
    after = await client.get("/files/report.csv", headers={"if-none-match": before})
    assert after.status_code == 200
    assert after.headers["etag"] != before


async def test_post_ignores_validators_and_ranges(client: TestClient[Any]) -> None:
    etag = (await client.get("/files/report.csv")).headers["etag"]
    response = await client.post(
        "/files/report.csv", headers={"if-none-match": etag, "range": "bytes=0-1"}
    )
    assert response.status_code == 200
    assert len(response.content) == 800


async def test_head(client: TestClient[Any]) -> None:
    get = await client.get("/files/big.bin")
    head = await client.head("/files/big.bin")
    assert head.content == b""
    drop = {"date"}
    assert {k: v for k, v in head.headers.items() if k not in drop} == {
        k: v for k, v in get.headers.items() if k not in drop
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 'attachment; filename="report.csv"'),
        ("?as=q3.csv", 'attachment; filename="q3.csv"'),
        ("?inline=1", None),
        ("?inline=1&as=view.csv", 'inline; filename="view.csv"'),
        (
            "?as=r%C3%A9sum%C3%A9.csv",
            "attachment; filename=\"resume.csv\"; filename*=UTF-8''r%C3%A9sum%C3%A9.csv",
        ),
        (
            "?as=%E6%8A%A5%E5%91%8A.csv",
            "attachment; filename=\"download.csv\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.csv",
        ),
        (
            "?as=say%20%22hi%22.txt",
            "attachment; filename=\"say _hi_.txt\"; filename*=UTF-8''say%20%22hi%22.txt",
        ),
        ("?as=a%0D%0Ab%00.csv", 'attachment; filename="a__b_.csv"'),
        ("?as=dir%5Cfile.txt", 'attachment; filename="file.txt"'),
        ("?as=..%2F..%2Fetc%2Fpasswd", 'attachment; filename="passwd"'),
    ],
)
async def test_content_disposition(
    client: TestClient[Any], query: str, expected: str | None
) -> None:
    response = await client.get(f"/files/report.csv{query}")
    assert response.status_code == 200
    assert response.headers.get("content-disposition") == expected


async def test_content_type_can_be_given(client: TestClient[Any]) -> None:
    response = await client.get("/files/report.csv?type=text/plain")
    assert response.headers["content-type"] == "text/plain"


@pytest.mark.parametrize("name", ["missing.txt", "sub"])
async def test_missing_files_and_directories_are_404(client: TestClient[Any], name: str) -> None:
    assert (await client.get(f"/files/{name}")).status_code == 404


async def test_leaving_mid_download_closes_the_file(client: TestClient[Any]) -> None:
    fds = len(os.listdir("/proc/self/fd"))
    async with client.stream("GET", "/files/big.bin") as response:
        async for _ in response.iter_raw():
            break  # leave after the first piece
    for _ in range(100):
        if len(os.listdir("/proc/self/fd")) <= fds:
            break
        await asyncio.sleep(0.01)
    assert len(os.listdir("/proc/self/fd")) <= fds
