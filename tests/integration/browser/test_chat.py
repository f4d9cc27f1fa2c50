"""examples/chat in Chromium: live messages, the typing line, and history from SQLite."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("playwright.async_api", reason="BROWSER TESTS SKIPPED: no playwright")
from playwright.async_api import Page, expect

if TYPE_CHECKING:
    from tests.integration.conftest import CheckConsole, NewPage, Serve, Shot

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "chat"
ROOM = "python"
EVENTS = re.compile(rf"/rooms/{ROOM}/events(\?|$)")
FROM_ADA = re.compile(r"Ada: Hello from Ada$")
FROM_GRACE = re.compile(r"Grace: Hi Ada$")


async def open_room(page: Page, url: str, *, reload: bool = False) -> None:
    """Load the room and wait until its event stream answered (it has sent the history)."""
    async with page.expect_response(EVENTS) as stream:
        if reload:
            await page.reload()
        else:
            await page.goto(f"{url}/rooms/{ROOM}")
    response = await stream.value
    assert response.headers["content-type"].startswith("text/event-stream")


async def test_messages_typing_and_history(
    serve: Serve,
    datastar_js: Path,
    tmp_path: Path,
    new_page: NewPage,
    shot: Shot,
    check_console: CheckConsole,
) -> None:
    env = {"DATASTAR_JS_PATH": str(datastar_js), "CHAT_DB": str(tmp_path / "chat.sqlite3")}
    url = serve("main:bootstrap", cwd=EXAMPLE, env=env)
    a = await new_page()
    b = await new_page()
    await open_room(a, url)
    await open_room(b, url)
    await expect(b.locator("#messages li")).to_have_count(0)
    await a.locator("input[name=name]").fill("Ada")
    await b.locator("input[name=name]").fill("Grace")

    await a.locator("input[name=text]").press_sequentially("Hello from Ada")
    await expect(b.locator("#typing")).to_have_text("Ada is typing…")
    await shot(b, "b-sees-typing")

    await a.get_by_role("button", name="Send").click()
    await expect(b.locator("#messages li")).to_have_text([FROM_ADA])
    await expect(a.locator("#messages li")).to_have_text([FROM_ADA])
    await expect(b.locator("#typing")).to_have_text("")  # sending ends the typing line
    await expect(a.locator("input[name=text]")).to_have_value("")  # the server cleared it

    await b.locator("input[name=text]").fill("Hi Ada")
    await b.locator("input[name=text]").press("Enter")
    await expect(a.locator("#messages li")).to_have_text([FROM_ADA, FROM_GRACE])
    await shot(a, "a-conversation")

    await open_room(b, url, reload=True)
    await expect(b.locator("#messages li")).to_have_text([FROM_ADA, FROM_GRACE])
    c = await new_page()
    await open_room(c, url)
    await expect(c.locator("#messages li")).to_have_text([FROM_ADA, FROM_GRACE])
    await shot(c, "c-history")
    for page in (a, b, c):
        check_console(page)
