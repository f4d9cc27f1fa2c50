"""Redirect following: method rewriting, history, limits, cross-host credentials."""

from __future__ import annotations

from typing import Any

import pytest

from stario.telemetry import MemoryTracer
from stario.testing import TestClient, TooManyRedirects

from .demo import Log, make_bootstrap

Client = TestClient[MemoryTracer]


async def test_chain_is_followed_and_recorded(client: Client) -> None:
    response = await client.get("/redirect/3")
    assert response.status_code == 200
    assert response.text == "arrived"
    assert response.url == "http://testserver/redirect/0"
    assert [r.status_code for r in response.history] == [302, 302, 302]
    assert [r.url for r in response.history] == [
        "http://testserver/redirect/3",
        "http://testserver/redirect/2",
        "http://testserver/redirect/1",
    ]


async def test_follow_redirects_false_per_request(client: Client) -> None:
    response = await client.get("/redirect/1", follow_redirects=False)
    assert response.status_code == 302
    assert response.is_redirect
    assert response.headers["location"] == "/redirect/0"


async def test_follow_redirects_false_per_client(log: Log) -> None:
    async with TestClient(make_bootstrap(log), follow_redirects=False) as client:
        assert (await client.get("/redirect/1")).status_code == 302
        assert (await client.get("/redirect/1", follow_redirects=True)).text == "arrived"


async def test_303_becomes_get_without_body(client: Client) -> None:
    response = await client.post("/r/303", json={"a": 1})
    data: dict[str, Any] = response.json()
    assert data["method"] == "GET"
    assert data["body"] == ""
    headers = dict(data["headers"])
    assert "content-type" not in headers
    assert "content-length" not in headers


@pytest.mark.parametrize("status", [307, 308])
async def test_307_and_308_keep_method_and_body(client: Client, status: int) -> None:
    response = await client.post(f"/r/{status}", content=b"payload")
    data: dict[str, Any] = response.json()
    assert (data["method"], data["body"]) == ("POST", "payload")
    assert [r.status_code for r in response.history] == [status]


async def test_trailing_slash_redirect_keeps_query(client: Client) -> None:
    response = await client.get("/text/?x=1")
    assert response.text == "hello"
    assert response.history[0].status_code == 308
    assert response.url == "http://testserver/text?x=1"


async def test_too_many_redirects(client: Client) -> None:
    with pytest.raises(TooManyRedirects) as info:
        await client.get("/r/loop")
    assert len(info.value.history) == 21


async def test_cross_host_redirect_drops_credentials(client: Client) -> None:
    response = await client.get(
        "/r/away", headers={"authorization": "Bearer secret", "x-keep": "1"}
    )
    headers = dict(response.json()["headers"])
    assert headers["host"] == "other.example"
    assert "authorization" not in headers
    assert headers["x-keep"] == "1"
