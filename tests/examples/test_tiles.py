"""``examples/tiles``: the shared board and presence, through TestClient streams."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from stario.testing import TestClient
from tests.examples.loader import load_example

tiles = load_example("tiles")

COOKIE = re.compile(r"tiles_player=([0-9a-f]{16})")


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TestClient]:
    monkeypatch.delenv("DATASTAR_JS_PATH", raising=False)
    async with TestClient(tiles.bootstrap) as client:
        yield client


async def player(client: TestClient) -> dict[str, str]:
    """Load the page as a new browser would and return its cookie."""
    response = await client.get("/", cookies={})
    match = COOKIE.search(response.headers["set-cookie"])
    assert match is not None
    client.cookies.clear()
    return {"tiles_player": match.group(1)}


async def test_page_shows_every_tile_and_opens_the_event_stream(client: TestClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "HttpOnly" in response.headers["set-cookie"]
    assert response.text.count('class="tile"') == tiles.SIZE * tiles.SIZE
    assert 'data-init="@get(&#39;/events&#39;' in response.text


async def test_a_returning_player_keeps_its_cookie(client: TestClient) -> None:
    cookies = await player(client)
    response = await client.get("/", cookies=cookies)
    assert "set-cookie" not in response.headers


async def test_clicks_need_a_player_and_a_real_tile(client: TestClient) -> None:
    assert (await client.post("/tiles/1", cookies={})).status_code == 400
    cookies = await player(client)
    for index in ("64", "-1", "x", "007a"):
        response = await client.post(f"/tiles/{index}", cookies=cookies)
        assert response.status_code == 404, index


async def test_a_click_reaches_every_stream_and_a_second_click_clears(client: TestClient) -> None:
    ada, bob = await player(client), await player(client)
    async with (
        client.stream("GET", "/events", cookies=ada) as a_stream,
        client.stream("GET", "/events", cookies=bob) as b_stream,
    ):
        a_events, b_events = a_stream.iter_events(), b_stream.iter_events()
        first = await anext(a_events)
        assert first.data.startswith('elements <div id="board">')
        assert (await client.post("/tiles/5", cookies=ada)).status_code == 204

        color = tiles.color_of(ada["tiles_player"])
        painted = f'elements <div id="tile-5" class="tile" style="background:{color}"'
        for events in (a_events, b_events):
            async for event in events:
                if event.data.startswith(painted):
                    break
        assert (await client.post("/tiles/5", cookies=ada)).status_code == 204
        async for event in b_events:
            if event.data.startswith('elements <div id="tile-5"'):
                assert "style=" not in event.data
                break


async def test_presence_lists_joins_and_leaves(client: TestClient) -> None:
    ada, bob = await player(client), await player(client)
    async with client.stream("GET", "/events", cookies=ada) as a_stream:
        a_events = a_stream.iter_events()
        async with client.stream("GET", "/events", cookies=bob):
            async for event in a_events:
                if event.data.count("<li") == 2:
                    break
        async for event in a_events:
            if event.data.startswith('elements <ul id="online">') and event.data.count("<li") == 1:
                assert f"player {ada['tiles_player'][:4]}" in event.data
                break
