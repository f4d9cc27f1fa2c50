"""``with TestClient(...)``: the blocking face for plain tests."""

from __future__ import annotations

import asyncio

import pytest

from stario.testing import ServerError, TestClient

from .demo import Log, make_bootstrap


def test_sync_requests_and_lifecycle() -> None:
    log = Log()
    with TestClient(make_bootstrap(log)) as client:
        assert log.events == ["setup"]
        response = client.get("/text")
        assert (response.status_code, response.text) == (200, "hello")
        assert client.post("/json", json=[1, 2]).json() == [1, 2]
        assert client.head("/text").content == b""
        assert client.get("/redirect/2").text == "arrived"
        assert client.post("/background").text == "started"
    assert log.events == ["setup", "task done", "teardown"]
    assert [s.name for s in client.tracer.spans][-1] == "server.shutdown"


def test_sync_cookies_and_run() -> None:
    log = Log()
    with TestClient(make_bootstrap(log)) as client:
        client.get("/cookies/set")
        assert client.cookies["a"] == "1"
        assert client.get("/echo").json()["cookies"] == {"a": "1"}

        async def on_the_app_loop() -> bool:
            return asyncio.get_running_loop() is not None and not client.app.shutting_down

        assert client.run(on_the_app_loop())


def test_sync_stream_and_disconnect() -> None:
    log = Log()
    with TestClient(make_bootstrap(log)) as client:
        with client.stream("GET", "/sse") as response:
            assert response.status_code == 200
            first = next(iter(response.iter_events()))
        assert (first.event, first.data) == ("x", "a\nb")
        assert client.run(asyncio.wait_for(log.disconnected.wait(), 5)) is True
        with client.stream("GET", "/stream") as response:
            assert b"".join(response.iter_bytes()) == b"one two three"
    assert log.events == ["setup", "sse ended", "teardown"]


def test_sync_raw_connection() -> None:
    with TestClient(make_bootstrap(Log())) as client, client.connection() as conn:
        conn.send(b"GET /text HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.read_response().text == "hello"
        conn.send(b"GET /text HTTP/1.0\r\n\r\n")
        assert conn.read_response().text == "hello"
        assert conn.receive() == b""
        assert conn.server_closed


def test_sync_errors_propagate() -> None:
    with TestClient(make_bootstrap(Log()), raise_server_exceptions=True) as client:
        with pytest.raises(ServerError, match="kaboom"):
            client.get("/boom")
        assert client.get("/text").ok


async def test_sync_mode_works_inside_a_running_loop() -> None:
    # The private loop runs in its own thread, so even an async test can use it.
    with TestClient(make_bootstrap(Log())) as client:
        assert client.get("/text").text == "hello"
