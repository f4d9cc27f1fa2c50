"""Every example page loads Datastar from ``DATASTAR_CDN_URL`` unless a local file is named.

The browser tests start the examples with ``DATASTAR_JS_PATH`` set; these tests pin down
that the pages then load that file from the app itself, and the CDN bundle otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stario.datastar import DATASTAR_CDN_URL
from stario.testing import TestClient
from tests.examples.loader import load_example

# (example, a page that loads Datastar)
PAGES = [("hello", "/"), ("tiles", "/"), ("chat", "/rooms/general")]


@pytest.fixture(autouse=True)
def chat_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_DB", str(tmp_path / "chat.sqlite3"))


def script_tag(src: str) -> str:
    return f'<script type="module" src="{src}"></script>'


@pytest.mark.parametrize(("name", "path"), PAGES)
async def test_pages_load_the_cdn_bundle_by_default(
    name: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATASTAR_JS_PATH", raising=False)
    async with TestClient(load_example(name).bootstrap) as client:
        page = await client.get(path)
        local = await client.get("/datastar.js")
    assert page.status_code == 200
    assert page.text.count("<script") == 1
    assert script_tag(DATASTAR_CDN_URL) in page.text
    assert local.status_code == 404


@pytest.mark.parametrize(("name", "path"), PAGES)
async def test_pages_load_a_named_local_bundle_from_the_app(
    name: str, path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "datastar.js"
    bundle.write_text("// local datastar\n", encoding="utf-8")
    monkeypatch.setenv("DATASTAR_JS_PATH", str(bundle))
    async with TestClient(load_example(name).bootstrap) as client:
        page = await client.get(path)
        local = await client.get("/datastar.js")
    assert page.status_code == 200
    assert script_tag("/datastar.js") in page.text
    assert DATASTAR_CDN_URL not in page.text
    assert local.status_code == 200
    assert local.headers["content-type"] == "text/javascript; charset=utf-8"
    assert local.text == "// local datastar\n"
