"""Loading Datastar: the pinned CDN URL and the module script element."""

from __future__ import annotations

from stario.datastar import DATASTAR_CDN_URL, DATASTAR_VERSION, ModuleScript
from stario.html import Head, render


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
