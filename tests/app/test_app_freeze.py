"""Registration after the routes are compiled fails loudly instead of being ignored."""

from __future__ import annotations

import pytest

from stario import App, Context, Router, StarioError, Writer, responses
from stario.testing import TestClient


async def ok(c: Context, w: Writer) -> None:
    responses.text(w, "ok")


def _identity(handler):  # type: ignore[no-untyped-def]
    return handler


@pytest.mark.parametrize(
    "register",
    [
        lambda app: app.get("/late", ok),
        lambda app: app.mount("/sub", Router()),
        lambda app: app.use(_identity),
    ],
    ids=["route", "mount", "middleware"],
)
async def test_registering_after_startup_raises(register) -> None:  # type: ignore[no-untyped-def]
    app = App()
    app.get("/", ok)
    async with TestClient(app) as client:
        assert (await client.get("/")).status_code == 200
        with pytest.raises(StarioError, match="already compiled"):
            register(app)
        assert (await client.get("/late")).status_code == 404
