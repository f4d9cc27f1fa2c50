"""``examples/hello``: its routes through TestClient, and as a real ``stario serve`` process."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from stario.testing import SyncTestClient, TestClient
from tests.e2e.live import BOUND, StarioProcess, connect, fetch

HELLO_DIR = Path(__file__).resolve().parents[2] / "examples" / "hello"


def load_hello() -> ModuleType:
    """Import examples/hello/main.py under its own name, leaving no __pycache__ behind."""
    spec = importlib.util.spec_from_file_location("stario_example_hello", HELLO_DIR / "main.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


hello = load_hello()


@pytest.fixture
def client() -> Iterator[SyncTestClient[Any]]:
    with TestClient(hello.bootstrap) as client:
        yield client


def test_home_is_an_html_page(client: SyncTestClient[Any]) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Hello, stario</h1>" in response.text
    assert '<a href="/api/hello?name=you">' in response.text


def test_hello_without_a_name_greets_the_world(client: SyncTestClient[Any]) -> None:
    response = client.get("/api/hello")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["message"] == "Hello, world!"
    assert isinstance(body["served_at"], float)
    assert set(body) == {"message", "served_at"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"name": "Ada"}, "Hello, Ada!"),
        ({"name": "Zoë & co"}, "Hello, Zoë & co!"),
        ({"name": ""}, "Hello, world!"),
    ],
)
def test_hello_greets_by_name(
    client: SyncTestClient[Any], params: dict[str, str], message: str
) -> None:
    assert client.get("/api/hello", params=params).json()["message"] == message


def test_unknown_paths_are_404(client: SyncTestClient[Any]) -> None:
    response = client.get("/api/goodbye")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_other_methods_are_405_with_allow(client: SyncTestClient[Any]) -> None:
    response = client.post("/api/hello")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("path", ["/", "/api/hello"])
def test_head_has_the_get_headers_and_no_body(client: SyncTestClient[Any], path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if path == "/":  # the JSON body differs per request (served_at)
        assert head.headers["content-length"] == str(len(get.content))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[StarioProcess]:
    proc = StarioProcess(["main:bootstrap", "--port", "0"], HELLO_DIR, tmp_path / "stdout")
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
        api = fetch(sock, "/api/hello?name=socket")
    finally:
        sock.close()
    served.terminate()
    assert served.wait(BOUND) == 0

    assert page.status == 200
    assert b"<h1>Hello, stario</h1>" in page.body
    assert api.status == 200
    assert api.headers["content-type"] == "application/json"
    assert b'"message":"Hello, socket!"' in api.body
    paths = [s["attributes"].get("request.path") for s in served.spans()]
    assert "/" in paths
    assert "/api/hello" in paths
