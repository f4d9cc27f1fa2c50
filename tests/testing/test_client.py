"""TestClient requests: methods, URLs, headers, bodies, errors, spans."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from stario import App, Context, Writer, responses
from stario.config import ServerConfig
from stario.errors import StarioError
from stario.telemetry import MemoryTracer
from stario.testing import (
    HTTPStatusError,
    ProtocolError,
    ServerError,
    TestClient,
)

from .demo import Log, make_bootstrap

Client = TestClient[MemoryTracer]


async def echo(client: Client, method: str, url: str, **options: Any) -> dict[str, Any]:
    response = await client.request(method, url, **options)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    data["headers"] = dict(data["headers"])
    return data


async def test_get_text(client: Client) -> None:
    response = await client.get("/text")
    assert response.status_code == 200
    assert response.reason_phrase == "OK"
    assert response.http_version == "1.1"
    assert response.ok
    assert response.text == "hello"
    assert response.content == b"hello"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.url == "http://testserver/text"
    assert response.history == []
    assert response.raise_for_status() is response


async def test_request_line_and_default_headers(client: Client) -> None:
    data = await echo(client, "GET", "/echo")
    assert data["headers"]["host"] == "testserver"
    assert data["headers"]["user-agent"] == "stario-testclient"
    assert "content-length" not in data["headers"]
    assert data["client"] == "127.0.0.1"
    assert data["host"] == "testserver"


async def test_query_params_merge_with_url_query(client: Client) -> None:
    data = await echo(client, "GET", "/echo?a=1", params={"b": ["2", "3"], "flag": True})
    assert data["query"] == {"a": ["1"], "b": ["2", "3"], "flag": ["true"]}


async def test_path_is_percent_encoded(client: Client) -> None:
    data = await echo(client, "GET", "/echo?q=a b")
    assert data["raw_path"] == "/echo"
    assert data["query"] == {"q": ["a b"]}
    response = await client.get("/caf\u00e9")
    assert response.status_code == 404
    assert response.request is not None
    assert response.request.target == "/caf%C3%A9"


async def test_user_headers_override_defaults(client: Client) -> None:
    data = await echo(
        client, "GET", "/echo", headers=[("User-Agent", "probe"), ("X-Many", "1"), ("X-Many", "2")]
    )
    assert data["headers"]["user-agent"] == "probe"
    response = await client.get("/echo", headers={"x-one": "1"})
    assert response.request is not None
    assert response.request.headers.getlist("user-agent") == ["stario-testclient"]


async def test_header_injection_is_refused(client: Client) -> None:
    with pytest.raises(StarioError):
        await client.get("/echo", headers={"x-bad": "a\r\nx-evil: 1"})


async def test_absolute_url_sets_host(client: Client) -> None:
    data = await echo(client, "GET", "http://api.example:8080/echo")
    assert data["headers"]["host"] == "api.example:8080"
    assert data["host"] == "api.example"


async def test_json_body_is_compact_utf8(client: Client) -> None:
    response = await client.post("/json", json={"name": "\u00e9t\u00e9", "n": [1, 2]})
    assert response.json() == {"name": "\u00e9t\u00e9", "n": [1, 2]}
    assert response.request is not None
    assert response.request.content == '{"name":"\u00e9t\u00e9","n":[1,2]}'.encode()
    assert response.request.headers["content-type"] == "application/json"


async def test_urlencoded_form(client: Client) -> None:
    response = await client.post("/form", data={"a": "x y", "b": ["1", "2"]})
    assert response.json() == {"a": ["x y"], "b": ["1", "2"]}
    assert response.request is not None
    assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"


async def test_multipart_form_with_files(client: Client) -> None:
    files: dict[str, Any] = {
        "doc": ("notes.txt", b"hello file", "text/plain"),
        "raw": b"just bytes",
        "obj": io.BytesIO(b"from a file object"),
    }
    response = await client.post("/form", data={"title": 'say "hi"'}, files=files)
    assert response.json() == {
        "title": ['say "hi"'],
        "doc": ["notes.txt", "text/plain", "hello file"],
        "raw": ["upload", "application/octet-stream", "just bytes"],
        "obj": ["upload", "application/octet-stream", "from a file object"],
    }
    assert response.request is not None
    assert response.request.headers["content-type"].startswith("multipart/form-data; boundary=")


async def test_raw_content_and_empty_post(client: Client) -> None:
    data = await echo(client, "PUT", "/echo", content="r\u00e9sum\u00e9")
    assert data["body"] == "r\u00e9sum\u00e9".encode().decode("latin-1")
    data = await echo(client, "POST", "/echo")
    assert data["headers"]["content-length"] == "0"
    assert data["body"] == ""


async def test_only_one_kind_of_body(client: Client) -> None:
    with pytest.raises(StarioError, match="only one kind of body"):
        await client.post("/echo", json={}, content=b"x")


async def test_iterator_content_is_sent_chunked(client: Client) -> None:
    def parts() -> Iterator[bytes]:
        yield b"ab"
        yield b""
        yield b"cde"

    response = await client.post("/chunks", content=parts())
    assert response.json() == {"chunks": 2, "total": 5}
    assert response.request is not None
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.request.content is None


async def test_async_iterator_content(client: Client) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for piece in (b"x" * 10, b"y" * 20):
            yield piece

    response = await client.post("/chunks", content=parts())
    assert response.json() == {"chunks": 2, "total": 30}


async def test_failing_body_iterator_raises_in_test(client: Client) -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"x"
        raise ValueError("iterator broke")

    with pytest.raises(ValueError, match="iterator broke"):
        await client.post("/chunks", content=parts())


async def test_head_has_headers_and_no_body(client: Client) -> None:
    response = await client.head("/text")
    assert response.status_code == 200
    assert response.headers["content-length"] == "5"
    assert response.content == b""


async def test_not_found_and_method_not_allowed(client: Client) -> None:
    missing = await client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.text == "Not Found"
    assert not missing.ok
    with pytest.raises(HTTPStatusError) as info:
        missing.raise_for_status()
    assert info.value.response is missing
    wrong = await client.delete("/text")
    assert wrong.status_code == 405
    assert {"GET", "HEAD"} <= set(wrong.headers["allow"].split(", "))


async def test_http_exception_status(client: Client) -> None:
    response = await client.get("/teapot")
    assert (response.status_code, response.text) == (418, "short and stout")


async def test_handler_exception_is_a_500_by_default(client: Client) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    [span] = [s for s in client.tracer.find("GET") if s.attributes["request.path"] == "/boom"]
    assert span.status == "error"
    assert [e.name for e in span.events] == ["exception"]


async def test_raise_server_exceptions(log: Log) -> None:
    async with TestClient(make_bootstrap(log), raise_server_exceptions=True) as client:
        with pytest.raises(ServerError, match="kaboom") as info:
            await client.get("/boom")
        assert info.value.exception_type == "RuntimeError"
        assert "boom" in info.value.traceback
        with pytest.raises(ServerError, match="midway"):
            await client.get("/boom-midway")
        assert (await client.get("/teapot")).status_code == 418  # not an exception


async def test_truncated_response_is_a_protocol_error(client: Client) -> None:
    with pytest.raises(ProtocolError, match="truncated"):
        await client.get("/boom-midway")


async def test_request_span_is_recorded(client: Client) -> None:
    await client.get("/text?x=1")
    names = [s.name for s in client.tracer.spans]
    assert names[0] == "server.startup"
    assert client.tracer.spans[0].attributes["app.name"] == "demo"
    [span] = [s for s in client.tracer.find("GET") if s.attributes["request.path"] == "/text"]
    assert span.attributes["response.status_code"] == 200


async def test_call_returns_after_the_handler_returned() -> None:
    app = App()
    done: list[str] = []

    async def answer_then_work(c: Context, w: Writer) -> None:
        responses.text(w, "answered")
        for _ in range(5):
            await asyncio.sleep(0)  # work after the response went out
        c.span.attr("late", True)
        done.append("handler returned")

    app.get("/", answer_then_work)
    async with TestClient(app) as client:
        assert (await client.get("/")).text == "answered"
        assert done == ["handler returned"]
        [span] = client.tracer.find("GET")
        assert span.attributes["late"] is True


async def test_peer_address_is_configurable(log: Log) -> None:
    async with TestClient(make_bootstrap(log), client=("10.1.2.3", 4000)) as client:
        data = await echo(client, "GET", "/echo")
    assert data["client"] == "10.1.2.3"


async def test_body_limit_comes_from_config(log: Log) -> None:
    config = ServerConfig(max_request_body_bytes=10)
    async with TestClient(make_bootstrap(log), config=config) as client:
        response = await client.post("/echo", content=b"x" * 11)
        assert response.status_code == 413
        assert (await client.post("/echo", content=b"x" * 10)).status_code == 200


async def test_timeout_when_the_handler_never_answers() -> None:
    app = App()

    async def stuck(c: Context, w: Writer) -> None:
        async with c.alive():
            await c.app.wait_shutdown()

    app.get("/", stuck)
    async with TestClient(app) as client:
        with pytest.raises(TimeoutError, match="no complete response"):
            await client.get("/", timeout=0.05)


async def test_app_instance_without_bootstrap() -> None:
    app = App()

    async def hi(c: Context, w: Writer) -> None:
        responses.text(w, "hi")

    app.get("/", hi)
    async with TestClient(app) as client:
        assert (await client.get("/")).text == "hi"


async def test_requests_outside_the_block_fail_clearly(log: Log) -> None:
    client = TestClient(make_bootstrap(log))
    with pytest.raises(StarioError, match="not running"):
        await client.get("/text")
