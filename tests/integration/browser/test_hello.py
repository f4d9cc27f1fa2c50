"""examples/hello in Chromium: the counter's value goes to the server and comes back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("playwright.async_api", reason="BROWSER TESTS SKIPPED: no playwright")
from playwright.async_api import Page, expect

if TYPE_CHECKING:
    from tests.integration.conftest import CheckConsole, Serve, Shot

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hello"


async def test_the_counter_round_trips_through_the_server(
    serve: Serve, datastar_js: Path, page: Page, shot: Shot, check_console: CheckConsole
) -> None:
    url = serve("main:bootstrap", cwd=EXAMPLE, env={"DATASTAR_JS_PATH": str(datastar_js)})
    await page.goto(url)
    count = page.locator("#count")
    history = page.locator("#history li")
    await expect(count).to_have_text("0")
    await expect(history).to_have_count(0)

    # The new value arrives as a Datastar event on the POST's response, not from the page.
    async with page.expect_response(f"{url}/count/inc") as answer:
        await page.locator("#inc").click()
    response = await answer.value
    assert response.request.method == "POST"
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "datastar-patch-signals" in await response.text()
    await expect(count).to_have_text("1")

    # Each click waits for its answer: the server computes the next value from the last.
    for n in (2, 3):
        await page.locator("#inc").click()
        await expect(count).to_have_text(str(n))
    await page.locator("#dec").click()
    await expect(count).to_have_text("2")
    await page.locator("#reset").click()
    await expect(count).to_have_text("0")

    # Newest first: the server prepends one line per change.
    await expect(history).to_have_text(
        [
            re.compile(r"reset: 2 → 0$"),
            re.compile(r"dec: 3 → 2$"),
            re.compile(r"inc: 2 → 3$"),
            re.compile(r"inc: 1 → 2$"),
            re.compile(r"inc: 0 → 1$"),
        ]
    )
    await shot(page, "after-reset")
    check_console(page)
