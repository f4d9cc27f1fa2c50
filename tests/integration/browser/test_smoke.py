"""Smoke tests: a real server, the real Datastar bundle and Chromium working together."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("playwright.async_api", reason="BROWSER TESTS SKIPPED: no playwright")
from playwright.async_api import Page, expect

if TYPE_CHECKING:
    from tests.integration.conftest import CheckConsole, Serve, Shot

APP = '''
from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

from stario import App, Context, Span, Writer, responses

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>smoke</title>
<script type="module" src="/datastar.js"></script></head>
<body>
<div data-signals='{"n": 1}'>
  <span id="out" data-text="$n + 1"></span>
  <button id="b" data-on:click="$n++">+</button>
</div>
<button id="load" data-on:click="@get('/sse')">load</button>
<div id="target">waiting</div>
</body>
</html>
"""

PATCH = b'event: datastar-patch-elements\\ndata: elements <div id="target">patched</div>\\n\\n'


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    bundle = Path(os.environ["DATASTAR_JS_PATH"]).read_bytes()

    async def home(c: Context, w: Writer) -> None:
        responses.html(w, PAGE)

    async def datastar(c: Context, w: Writer) -> None:
        w.respond(bundle, "text/javascript")

    async def sse(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/event-stream")
        w.headers.set("cache-control", "no-cache")
        w.write_headers()
        w.write(PATCH)
        w.end()

    app.get("/", home)
    app.get("/datastar.js", datastar)
    app.get("/sse", sse)
    yield
'''


def start_app(serve: Serve, tmp_path: Path, datastar_js: Path) -> str:
    (tmp_path / "smoke_app.py").write_text(APP, encoding="utf-8")
    return serve("smoke_app:bootstrap", cwd=tmp_path, env={"DATASTAR_JS_PATH": str(datastar_js)})


async def test_signals_render_and_a_click_updates_them(
    serve: Serve,
    tmp_path: Path,
    datastar_js: Path,
    page: Page,
    shot: Shot,
    check_console: CheckConsole,
) -> None:
    await page.goto(start_app(serve, tmp_path, datastar_js))
    out = page.locator("#out")
    await expect(out).to_have_text("2")
    await shot(page, "loaded")
    await page.locator("#b").click()
    await expect(out).to_have_text("3")
    check_console(page)


async def test_an_sse_response_patches_the_page(
    serve: Serve, tmp_path: Path, datastar_js: Path, page: Page, check_console: CheckConsole
) -> None:
    await page.goto(start_app(serve, tmp_path, datastar_js))
    target = page.locator("#target")
    await expect(target).to_have_text("waiting")
    await page.locator("#load").click()
    await expect(target).to_have_text("patched")
    check_console(page)
