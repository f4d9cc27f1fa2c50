"""The cookie jar: Set-Cookie storage, deletion, paths, hosts, per-request cookies."""

from __future__ import annotations

import time

from stario.telemetry import MemoryTracer
from stario.testing import CookieJar, TestClient
from stario.testing.cookies import parse_set_cookie

Client = TestClient[MemoryTracer]


async def sent_cookies(client: Client, url: str = "/echo", **options: object) -> dict[str, str]:
    response = await client.get(url, **options)  # type: ignore[arg-type]
    cookies: dict[str, str] = response.json()["cookies"]
    return cookies


async def test_cookies_set_by_a_response_are_sent_back(client: Client) -> None:
    response = await client.get("/cookies/set")
    assert response.cookies == {"a": "1", "scoped": "2"}
    scoped = next(c for c in response.set_cookies if c.name == "scoped")
    assert (scoped.path, scoped.http_only, scoped.same_site) == ("/cookies/deep", True, "Lax")
    assert client.cookies["a"] == "1"
    assert await sent_cookies(client) == {"a": "1"}
    assert await sent_cookies(client, "/cookies/deep/echo") == {"scoped": "2", "a": "1"}


async def test_delete_cookie_removes_it_from_the_jar(client: Client) -> None:
    await client.get("/cookies/set")
    response = await client.get("/cookies/delete")
    assert response.cookies == {"a": ""}
    assert "a" not in client.cookies
    assert await sent_cookies(client) == {}


async def test_jar_is_editable_and_per_request_cookies_win(client: Client) -> None:
    client.cookies["theme"] = "dark"
    client.cookies["lang"] = "en"
    assert await sent_cookies(client, cookies={"lang": "fr"}) == {"theme": "dark", "lang": "fr"}
    assert await sent_cookies(client) == {"theme": "dark", "lang": "en"}
    del client.cookies["theme"]
    assert await sent_cookies(client) == {"lang": "en"}


async def test_explicit_cookie_header_replaces_the_jar(client: Client) -> None:
    client.cookies["theme"] = "dark"
    assert await sent_cookies(client, headers={"cookie": "only=this"}) == {"only": "this"}


async def test_host_only_cookies_stay_on_their_host(client: Client) -> None:
    await client.get("/cookies/set")
    assert await sent_cookies(client, "http://other.example/echo") == {}


def test_path_matching_follows_rfc_6265() -> None:
    jar = CookieJar()
    jar.set("c", "1", path="/docs")
    assert jar.header_for("testserver", "/docs") == {"c": "1"}
    assert jar.header_for("testserver", "/docs/page") == {"c": "1"}
    assert jar.header_for("testserver", "/docsearch") == {}
    assert jar.header_for("testserver", "/") == {}


def test_domain_cookies_reach_subdomains() -> None:
    jar = CookieJar()
    jar.extract(["d=1; Domain=.Example.com"], "www.example.com", "/")
    assert jar.header_for("example.com", "/") == {"d": "1"}
    assert jar.header_for("api.example.com", "/") == {"d": "1"}
    assert jar.header_for("badexample.com", "/") == {}


def test_expiry_attributes() -> None:
    jar = CookieJar()
    jar.extract(["gone=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], "testserver", "/")
    jar.extract(["kept=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], "testserver", "/")
    assert dict(jar) == {"kept": "1"}
    cookie = jar.cookies[0]
    assert cookie.expires is not None
    assert cookie.expires > time.time()
    jar.extract(["kept=; Max-Age=0"], "testserver", "/")
    assert len(jar) == 0


def test_default_path_is_the_request_directory() -> None:
    cookie = parse_set_cookie("x=1", "testserver", "/a/b/page")
    assert cookie is not None
    assert cookie.path == "/a/b"
    assert parse_set_cookie("novalue", "testserver", "/") is None
    quoted = parse_set_cookie('q="v"; Secure', "testserver", "/")
    assert quoted is not None
    assert (quoted.value, quoted.secure) == ("v", True)
