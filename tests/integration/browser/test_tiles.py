"""examples/tiles in Chromium: two players, each in its own browser context, see each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("playwright.async_api", reason="BROWSER TESTS SKIPPED: no playwright")
from playwright.async_api import Page, expect

if TYPE_CHECKING:
    from tests.integration.conftest import CheckConsole, NewPage, Serve, Shot

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "tiles"
LIVE_MS = 1_000  # a click must reach the other browser within this, once the click returned
PRESENCE_MS = 5_000  # a closed browser is noticed when its stream's connection drops
_COLOUR = re.compile(r"color:\s*(#[0-9a-f]{6})")


async def colour_of(page: Page) -> str:
    """The player's colour, as the page states it ("You are this colour.")."""
    # One paragraph: markup the parser would split (a block inside <p>) breaks the sentence.
    await expect(page.locator("main > p")).to_have_text("You are this colour.")
    style = await page.locator("main > p > *").get_attribute("style")
    match = _COLOUR.search(style or "")
    assert match, f"no colour in {style!r}"
    return match[1]


async def test_clicks_and_presence_reach_the_other_player(
    serve: Serve,
    datastar_js: Path,
    new_page: NewPage,
    shot: Shot,
    check_console: CheckConsole,
) -> None:
    url = serve("main:bootstrap", cwd=EXAMPLE, env={"DATASTAR_JS_PATH": str(datastar_js)})
    a = await new_page()
    b = await new_page()
    await a.goto(url)
    await b.goto(url)
    # Both streams are open once each page lists both players.
    await expect(a.locator("#online li")).to_have_count(2)
    await expect(b.locator("#online li")).to_have_count(2)
    a_colour, b_colour = await colour_of(a), await colour_of(b)

    await a.locator("#tile-5").click()
    await expect(b.locator("#tile-5")).to_have_attribute(
        "style", f"background:{a_colour}", timeout=LIVE_MS
    )
    await b.locator("#tile-42").click()
    await expect(a.locator("#tile-42")).to_have_attribute(
        "style", f"background:{b_colour}", timeout=LIVE_MS
    )
    # Both pages agree on the whole board.
    for page in (a, b):
        await expect(page.locator("#tile-5")).to_have_attribute("style", f"background:{a_colour}")
        await expect(page.locator("#tile-42")).to_have_attribute("style", f"background:{b_colour}")
        await expect(page.locator(".tile[style]")).to_have_count(2)
    await shot(a, "a-painted")
    await shot(b, "b-painted")

    # Clicking your own tile clears it, for everyone.
    await a.locator("#tile-5").click()
    await expect(b.locator("#tile-5")).not_to_have_attribute(
        "style", re.compile("background"), timeout=LIVE_MS
    )
    await expect(b.locator(".tile[style]")).to_have_count(1)

    check_console(b)
    await b.context.close()
    await expect(a.locator("#online li")).to_have_count(1, timeout=PRESENCE_MS)
    await expect(a.locator("#online li")).to_have_attribute("style", f"background:{a_colour}")
    await shot(a, "a-alone")
    check_console(a)
