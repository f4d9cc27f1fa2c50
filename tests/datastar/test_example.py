"""The counter from docs/datastar.md, end to end through the TestClient."""

from __future__ import annotations

from collections.abc import AsyncIterator

from stario import App, Context, Span, Writer, responses
from stario.datastar import SSE, ModuleScript, at, data, read_signals
from stario.html import Body, Button, Div, Head, HtmlDocument
from stario.html import Span as SpanElement
from stario.testing import ServerSentEvent, TestClient


async def page(c: Context, w: Writer) -> None:
    responses.html(
        w,
        HtmlDocument(
            Head(ModuleScript()),
            Body(
                Div(
                    data.signals({"count": 0}),
                    Button(data.on("click", at.post("/increment")), "+1"),
                    SpanElement(data.text("$count")),
                )
            ),
        ),
    )


async def increment(c: Context, w: Writer) -> None:
    signals = await read_signals(c.req)
    SSE(w).patch_signals({"count": signals.get("count", 0) + 1})


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    app.get("/", page)
    app.post("/increment", increment)
    yield


async def test_counter() -> None:
    async with TestClient(bootstrap) as client:
        html = (await client.get("/")).text
        assert 'data-on:click="@post(&#39;/increment&#39;)"' in html
        assert '<script type="module" src="https://cdn.jsdelivr.net/' in html
        async with client.stream("POST", "/increment", json={"count": 41}) as response:
            events = [event async for event in response.iter_events()]
    assert events == [ServerSentEvent("datastar-patch-signals", 'signals {"count":42}')]
