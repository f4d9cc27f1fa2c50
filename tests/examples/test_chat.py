"""``examples/chat``: rooms, stored messages, history and typing, through TestClient."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from stario.testing import TestClient
from tests.examples.loader import load_example

chat = load_example("chat")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "chat.sqlite3"
    monkeypatch.setenv("CHAT_DB", str(path))
    monkeypatch.delenv("DATASTAR_JS_PATH", raising=False)
    return path


@pytest.fixture
async def client(db: Path) -> AsyncIterator[TestClient]:
    async with TestClient(chat.bootstrap) as client:
        yield client


async def send(client: TestClient, room: str, **signals: Any) -> int:
    response = await client.post(f"/rooms/{room}/messages", json=signals)
    return response.status_code


async def test_home_redirects_to_the_first_room(client: TestClient) -> None:
    response = await client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"] == "/rooms/general"


async def test_room_page_binds_name_and_text_and_opens_its_stream(client: TestClient) -> None:
    response = await client.get("/rooms/python")
    assert response.status_code == 200
    assert 'data-bind="name"' in response.text
    assert 'data-bind="text"' in response.text
    assert "@get(&#39;/rooms/python/events&#39;" in response.text
    assert (await client.get("/rooms/nope")).status_code == 404


async def test_a_message_is_stored_streamed_and_clears_the_input(
    client: TestClient, db: Path
) -> None:
    async with client.stream("GET", "/rooms/python/events") as stream:
        events = stream.iter_events()
        assert (await anext(events)).data == 'elements <ul id="messages"></ul>'
        response = await client.post(
            "/rooms/python/messages", json={"name": "Ada", "text": " <b>hi</b> "}
        )
        assert response.status_code == 200
        assert 'signals {"text":""}' in response.text
        async for event in events:
            if "mode append" in event.data:
                assert event.data.splitlines()[0] == "selector #messages"
                assert "<strong>Ada</strong>: &lt;b&gt;hi&lt;/b&gt;</li>" in event.data
                break
    rows = sqlite3.connect(db).execute("SELECT room, name, text FROM messages").fetchall()
    assert rows == [("python", "Ada", "<b>hi</b>")]


async def test_rooms_do_not_see_each_other(client: TestClient) -> None:
    assert await send(client, "general", name="Ada", text="in general") == 200
    assert await send(client, "python", name="Ada", text="in python") == 200
    async with client.stream("GET", "/rooms/python/events") as stream:
        history = (await anext(stream.iter_events())).data
    assert "in python" in history
    assert "in general" not in history


async def test_history_survives_a_restart_and_is_capped(db: Path) -> None:
    async with TestClient(chat.bootstrap) as client:
        for n in range(chat.HISTORY + 5):
            assert await send(client, "random", name="Ada", text=f"message {n}") == 200
    async with (
        TestClient(chat.bootstrap) as client,
        client.stream("GET", "/rooms/random/events") as stream,
    ):
        history = (await anext(stream.iter_events())).data
    assert history.count("<li") == chat.HISTORY
    assert "message 4<" not in history
    assert "message 5<" in history
    assert f"message {chat.HISTORY + 4}<" in history


@pytest.mark.parametrize(
    "signals",
    [
        {"name": "", "text": "hi"},
        {"name": "Ada", "text": "   "},
        {"name": "Ada"},
        {"name": "x" * 33, "text": "hi"},
        {"name": "Ada", "text": "x" * 501},
        {"name": "A\nda", "text": "hi"},
        {"name": 7, "text": "hi"},
    ],
)
async def test_bad_messages_are_400_and_not_stored(
    client: TestClient, db: Path, signals: dict[str, Any]
) -> None:
    assert await send(client, "python", **signals) == 400
    assert sqlite3.connect(db).execute("SELECT count(*) FROM messages").fetchone() == (0,)


async def test_typing_shows_then_expires_and_sending_clears_it(client: TestClient) -> None:
    async with client.stream("GET", "/rooms/general/events") as stream:
        events = stream.iter_events()
        await anext(events)
        assert (await anext(events)).data == 'elements <p id="typing"></p>'
        response = await client.post("/rooms/general/typing", json={"name": "Ada"})
        assert response.status_code == 204
        assert (await anext(events)).data == 'elements <p id="typing">Ada is typing…</p>'
        await client.post("/rooms/general/typing", json={"name": "Grace"})
        assert (await anext(events)).data == ('elements <p id="typing">Ada, Grace are typing…</p>')
        assert await send(client, "general", name="Ada", text="done") == 200
        assert (await anext(events)).data == 'elements <p id="typing">Grace is typing…</p>'
        # Grace stops typing: the line empties by itself within TYPING_SECONDS.
        async for event in events:
            if event.data == 'elements <p id="typing"></p>':
                break


async def test_typing_without_a_name_is_ignored(client: TestClient) -> None:
    response = await client.post("/rooms/general/typing", json={"name": "  "})
    assert response.status_code == 204
