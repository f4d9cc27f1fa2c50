"""read_signals: where each method carries Datastar's signals, and bad input answering 400."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from stario import App, Context, Writer, responses
from stario.datastar import read_signals
from stario.telemetry import MemoryTracer
from stario.testing import TestClient

Client = TestClient[MemoryTracer]
SIGNALS = {"count": 3, "user_name": "Zoë", "form": {"email": "a@b.c"}}


async def echo(c: Context, w: Writer) -> None:
    signals = await read_signals(c.req)
    responses.json(w, {"signals": signals, "body": (await c.req.body()).decode()})


async def form_then_signals(c: Context, w: Writer) -> None:
    signals = await read_signals(c.req)
    async with await c.req.form() as form:
        responses.json(w, {"signals": signals, "form": dict(form.items())})


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    app = App()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        app.handle(method, "/echo", echo)
    app.post("/form", form_then_signals)
    async with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_query_methods_read_the_datastar_parameter(client: Client, method: str) -> None:
    response = await client.request(
        method, "/echo", params={"datastar": json.dumps(SIGNALS), "other": "x"}
    )
    assert response.json()["signals"] == SIGNALS


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_body_methods_read_the_json_body(client: Client, method: str) -> None:
    response = await client.request(method, "/echo?datastar=%7B%22no%22%3A1%7D", json=SIGNALS)
    assert response.json()["signals"] == SIGNALS


async def test_delete_without_the_parameter_reads_its_body(client: Client) -> None:
    response = await client.request("DELETE", "/echo", json=SIGNALS)
    assert response.json()["signals"] == SIGNALS


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_nothing_sent_is_an_empty_dict(client: Client, method: str) -> None:
    assert (await client.request(method, "/echo")).json()["signals"] == {}


async def test_blank_values_are_empty(client: Client) -> None:
    assert (await client.get("/echo", params={"datastar": ""})).json()["signals"] == {}
    assert (await client.post("/echo", content=b" \n")).json()["signals"] == {}


async def test_get_ignores_a_body(client: Client) -> None:
    response = await client.request("GET", "/echo", content=b"{not json")
    assert response.json()["signals"] == {}


@pytest.mark.parametrize(
    ("request_args", "detail"),
    [
        ({"method": "GET", "params": {"datastar": "{bad"}}, "not valid JSON"),
        ({"method": "DELETE", "params": {"datastar": "[1, 2]"}}, "expected a JSON object"),
        ({"method": "POST", "content": b"{'single': 'quotes'}"}, "not valid JSON"),
        ({"method": "PUT", "content": b'"just a string"'}, "expected a JSON object"),
        ({"method": "PATCH", "content": b"\xff\xfe{}"}, "not valid JSON"),
        ({"method": "POST", "content": b"[" * 100_000}, "not valid JSON"),
    ],
)
async def test_bad_signals_answer_400(
    client: Client, request_args: dict[str, object], detail: str
) -> None:
    method = str(request_args.pop("method"))
    response = await client.request(method, "/echo", **request_args)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert response.text == f"invalid Datastar signals: {detail}"


async def test_a_form_submission_has_no_signals_and_keeps_its_body(client: Client) -> None:
    response = await client.post("/form", data={"title": "hello"})
    assert response.json() == {"signals": {}, "form": {"title": "hello"}}
