"""``examples/hello``: the counter through TestClient, and as a real ``stario serve`` process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stario.testing import SyncTestClient, TestClient
from tests.e2e.live import BOUND, StarioProcess, connect, fetch
from tests.examples.loader import EXAMPLES, load_example

hello = load_example("hello")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[SyncTestClient[Any]]:
    monkeypatch.delenv("DATASTAR_JS_PATH", raising=False)
    with TestClient(hello.bootstrap) as client:
        yield client


def events(text: str) -> list[tuple[str, list[str]]]:
    """The (event, data lines) pairs of an SSE body."""
    found = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        assert lines[0].startswith("event: ")
        found.append((lines[0][7:], [line.removeprefix("data: ") for line in lines[1:]]))
    return found


def test_page_holds_the_count_signal_and_loads_datastar_from_the_cdn(
    client: SyncTestClient[Any],
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!doctype html>")
    assert 'data-signals="{count: 0}"' in response.text
    assert 'data-text="$count"' in response.text
    assert 'data-on:click="@post(&#39;/count/inc&#39;)"' in response.text
    assert 'src="https://cdn.jsdelivr.net/' in response.text
    assert client.get("/datastar.js").status_code == 404


@pytest.mark.parametrize(
    ("action", "count", "new"),
    [("inc", 41, 42), ("dec", 0, -1), ("reset", 17, 0), ("inc", -5, -4)],
)
def test_each_button_patches_the_signal_the_browser_sent(
    client: SyncTestClient[Any], action: str, count: int, new: int
) -> None:
    response = client.post(f"/count/{action}", json={"count": count})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    (signals, history) = events(response.text)
    assert signals == (
        "datastar-patch-signals",
        [f"signals {json.dumps({'count': new}, separators=(',', ':'))}"],
    )
    assert history[0] == "datastar-patch-elements"
    assert history[1][:2] == ["selector #history", "mode prepend"]
    assert history[1][2].endswith(f"{action}: {count} → {new}</li>")


def test_a_missing_count_counts_from_zero(client: SyncTestClient[Any]) -> None:
    response = client.post("/count/inc", json={})
    assert events(response.text)[0][1] == ['signals {"count":1}']


@pytest.mark.parametrize(
    "signals",
    [{"count": "7"}, {"count": 1.5}, {"count": True}, {"count": 10**7}, {"count": None}],
)
def test_a_count_that_is_not_a_small_integer_is_refused(
    client: SyncTestClient[Any], signals: dict[str, Any]
) -> None:
    response = client.post("/count/inc", json=signals)
    assert response.status_code == 400
    assert "count must be an integer" in response.text


def test_bad_signal_json_is_400(client: SyncTestClient[Any]) -> None:
    response = client.post(
        "/count/inc", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_an_unknown_action_is_404(client: SyncTestClient[Any]) -> None:
    assert client.post("/count/double", json={"count": 1}).status_code == 404


def test_get_on_a_button_route_is_405(client: SyncTestClient[Any]) -> None:
    response = client.get("/count/inc")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"].split(", ")
    assert "GET" not in response.headers["allow"]


def test_a_local_bundle_is_served_when_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "datastar.js"
    bundle.write_text("// bundle\n", encoding="utf-8")
    monkeypatch.setenv("DATASTAR_JS_PATH", str(bundle))
    with TestClient(hello.bootstrap) as client:
        page = client.get("/")
        script = client.get("/datastar.js")
    assert '<script type="module" src="/datastar.js"></script>' in page.text
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.text == "// bundle\n"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[StarioProcess]:
    proc = StarioProcess(["main:bootstrap", "--port", "0"], EXAMPLES / "hello", tmp_path / "out")
    try:
        yield proc
    finally:
        proc.stop()


@pytest.mark.slow
def test_stario_serve_runs_the_example(served: StarioProcess) -> None:
    port = served.wait_listening()
    sock = connect(port)
    try:  # both requests share one keep-alive connection
        page = fetch(sock, "/")
        missing = fetch(sock, "/nope")
    finally:
        sock.close()
    served.terminate()
    assert served.wait(BOUND) == 0

    assert page.status == 200
    assert b"data-signals" in page.body
    assert missing.status == 404
    paths = [s["attributes"].get("request.path") for s in served.spans()]
    assert "/" in paths
