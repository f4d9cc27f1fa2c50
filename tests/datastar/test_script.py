"""Loading Datastar: the pinned CDN URL and the module script element."""

from __future__ import annotations

from pathlib import Path

import pytest

from stario import App
from stario.datastar import DATASTAR_CDN_URL, DATASTAR_VERSION, ModuleScript, serve_bundle
from stario.html import Head, render
from stario.testing import TestClient


def test_cdn_url_is_the_pinned_1_0_bundle() -> None:
    assert DATASTAR_VERSION.startswith("1.0.")
    assert DATASTAR_CDN_URL == (
        "https://cdn.jsdelivr.net/gh/starfederation/datastar@v1.0.1/bundles/datastar.js"
    )


def test_module_script() -> None:
    assert render(Head(ModuleScript())) == (
        f'<head><script type="module" src="{DATASTAR_CDN_URL}"></script></head>'
    )
    assert render(ModuleScript("/static/datastar.js?v=1&x=2")) == (
        '<script type="module" src="/static/datastar.js?v=1&amp;x=2"></script>'
    )


async def test_serve_bundle_without_a_file_uses_the_cdn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATASTAR_JS_PATH", raising=False)
    app = App()
    assert serve_bundle(app) == DATASTAR_CDN_URL
    async with TestClient(app) as client:
        assert (await client.get("/datastar.js")).status_code == 404


async def test_serve_bundle_serves_the_named_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "datastar.js"
    bundle.write_bytes(b"// Datastar\n")
    monkeypatch.setenv("DATASTAR_JS_PATH", str(bundle))
    app = App()
    assert serve_bundle(app) == "/datastar.js"
    assert serve_bundle(app, bundle, url="/js/ds.js") == "/js/ds.js"
    async with TestClient(app) as client:
        for url in ("/datastar.js", "/js/ds.js"):
            response = await client.get(url)
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/javascript; charset=utf-8"
            assert response.headers["cache-control"] == "no-cache"
            assert response.content == b"// Datastar\n"


def test_serve_bundle_fails_at_startup_on_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        serve_bundle(App(), tmp_path / "missing.js")
