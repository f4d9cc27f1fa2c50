"""``stario.middleware.security_headers``: opt-in defaults a handler can override."""

from __future__ import annotations

from typing import Any

import pytest

from stario import App, Context, HttpException, Writer, responses
from stario.middleware import security_headers
from stario.testing import TestClient

CSP = "default-src 'self'"


async def page(c: Context, w: Writer) -> None:
    responses.html(w, "<p>hi</p>")


async def own_policy(c: Context, w: Writer) -> None:
    w.headers["Referrer-Policy"] = "no-referrer"
    w.headers["content-security-policy"] = "default-src 'none'"
    responses.text(w, "mine")


async def embeddable(c: Context, w: Writer) -> None:
    w.headers.pop("x-frame-options")
    responses.text(w, "frame me")


async def stream(c: Context, w: Writer) -> None:
    w.headers["content-type"] = "text/event-stream"
    w.headers["x-frame-options"] = "SAMEORIGIN"
    w.write_headers(200)
    w.write(b"data: one\n\n")
    w.end()


async def boom(c: Context, w: Writer) -> None:
    raise HttpException(403, "no")


def make_app(**options: Any) -> App:
    app = App(middleware=[security_headers(**options)])
    app.get("/", page)
    app.get("/own", own_policy)
    app.get("/embed", embeddable)
    app.get("/stream", stream)
    app.get("/boom", boom)
    return app


async def get(path: str, **options: Any) -> Any:
    async with TestClient(make_app(**options)) as client:
        return await client.get(path)


async def test_defaults_are_nosniff_referrer_and_frame_options() -> None:
    response = await get("/")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    for off_by_default in (
        "strict-transport-security",
        "content-security-policy",
        "permissions-policy",
    ):
        assert off_by_default not in response.headers


async def test_every_header_when_asked() -> None:
    response = await get(
        "/",
        hsts="max-age=63072000; includeSubDomains; preload",
        referrer_policy="no-referrer, strict-origin",
        frame_options="sameorigin",
        permissions_policy="camera=(), geolocation=(self)",
        csp=CSP,
    )
    headers = response.headers
    assert headers["strict-transport-security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["referrer-policy"] == "no-referrer, strict-origin"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["permissions-policy"] == "camera=(), geolocation=(self)"
    assert headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'self'"


async def test_csp_gets_frame_ancestors_matching_frame_options() -> None:
    deny = await get("/", csp="default-src 'self';")
    assert deny.headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
    kept = await get("/", csp="default-src 'self'; frame-ancestors https://a.example")
    assert kept.headers["content-security-policy"].endswith("frame-ancestors https://a.example")
    alone = await get("/", csp=CSP, frame_options=None)
    assert alone.headers["content-security-policy"] == CSP
    assert "x-frame-options" not in alone.headers


async def test_none_or_false_leaves_headers_out() -> None:
    response = await get("/", content_type_options=False, referrer_policy=None, frame_options=None)
    names = {name for name, _ in response.headers.items()}
    assert not names & {"x-content-type-options", "referrer-policy", "x-frame-options"}


async def test_a_handler_replaces_a_default_and_is_never_overwritten() -> None:
    response = await get("/own", csp=CSP)
    assert response.headers.getlist("referrer-policy") == ["no-referrer"]
    assert response.headers.getlist("content-security-policy") == ["default-src 'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_handler_can_drop_a_default() -> None:
    response = await get("/embed")
    assert "x-frame-options" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_streamed_responses_carry_the_headers_and_the_handler_wins() -> None:
    async with (
        TestClient(make_app(hsts="max-age=60")) as client,
        client.stream("GET", "/stream") as response,
    ):
        body = b"".join([chunk async for chunk in response.iter_bytes()])
    assert body == b"data: one\n\n"
    assert response.headers["strict-transport-security"] == "max-age=60"
    assert response.headers.getlist("x-frame-options") == ["SAMEORIGIN"]


@pytest.mark.parametrize(("path", "status"), [("/boom", 403), ("/missing", 404)])
async def test_error_answers_carry_them_too(path: str, status: int) -> None:
    response = await get(path)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_header_set_by_an_outer_middleware_is_kept() -> None:
    def outer(handler: Any) -> Any:
        async def set_referrer(c: Context, w: Writer) -> None:
            w.headers["referrer-policy"] = "same-origin"
            await handler(c, w)

        return set_referrer

    app = App(middleware=[outer, security_headers()])
    app.get("/", page)
    async with TestClient(app) as client:
        response = await client.get("/")
    assert response.headers.getlist("referrer-policy") == ["same-origin"]


async def test_route_middleware_applies_only_to_its_route() -> None:
    app = App()
    app.get("/plain", page)
    app.get("/guarded", page, middleware=[security_headers(csp=CSP)])
    async with TestClient(app) as client:
        plain = await client.get("/plain")
        guarded = await client.get("/guarded")
    assert "x-frame-options" not in plain.headers
    assert guarded.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"csp": "default-src 'self'\r\nSet-Cookie: a=b"}, "csp must not contain CR, LF or NUL"),
        ({"hsts": "max-age=1\n"}, "hsts must not contain CR, LF or NUL"),
        ({"permissions_policy": "camera=()\rx"}, "permissions_policy must not contain CR"),
        ({"referrer_policy": "no-referrer\x00"}, "referrer_policy must not contain CR, LF or NUL"),
        ({"frame_options": "DENY\n"}, "frame_options must not contain CR, LF or NUL"),
        ({"csp": ""}, "csp must not be empty; use None"),
        ({"csp": "default-src 'self' ✓"}, "csp must be printable ASCII"),
        ({"hsts": "includeSubDomains"}, "hsts needs exactly one max-age=SECONDS"),
        ({"hsts": "max-age=abc"}, "hsts needs exactly one max-age=SECONDS"),
        ({"referrer_policy": "always"}, "referrer_policy 'always' is not one of"),
        ({"frame_options": "ALLOW-FROM https://a.example"}, "frame_options must be 'DENY'"),
        ({"csp": 42}, "csp must be a string or None, got int"),
    ],
)
def test_bad_arguments_raise_value_error_at_once(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        security_headers(**options)
