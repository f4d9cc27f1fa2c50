"""Hello, stario: a counter whose state lives in the browser and changes on the server.

The page holds a ``count`` signal. Each button posts the signals to the server, which
answers with a Datastar event that patches the signal and a line of history.

Run it with ``stario serve main:bootstrap`` from this directory. Pages load Datastar
from its CDN, or from a local copy when ``DATASTAR_JS_PATH`` names one.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from stario import App, Context, Span, Writer, responses
from stario.datastar import SSE, ModuleScript, at, data, read_signals, serve_bundle
from stario.errors import HttpException
from stario.html import (
    H1,
    Body,
    Button,
    Head,
    HtmlDocument,
    Li,
    Main,
    Meta,
    P,
    SafeString,
    Style,
    Title,
    Ul,
)
from stario.html import Span as SpanTag

LIMIT = 1_000_000
"""The counter stays within ±LIMIT; a larger value sent by a client is refused."""

STEPS: dict[str, Callable[[int], int]] = {
    "inc": lambda n: n + 1,
    "dec": lambda n: n - 1,
    "reset": lambda n: 0,
}

CSS = SafeString(
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
    "button{font-size:1.2rem;margin-right:.5rem;padding:.3rem .9rem}"
    "#count{font-size:3rem;font-variant-numeric:tabular-nums}"
    "#history{color:#555;font-size:.9rem}"
)


def page(script_src: str) -> str:
    return HtmlDocument(
        Head(Meta({"charset": "utf-8"}), Title("Hello, stario"), Style(CSS)),
        Body(
            Main(
                data.signals({"count": 0}),
                H1("Hello, stario"),
                P("The count is a Datastar signal; the server computes each new value."),
                P(SpanTag({"id": "count"}, data.text("$count"), "0")),
                Button({"id": "dec"}, data.on("click", at.post("/count/dec")), "-1"),
                Button({"id": "inc"}, data.on("click", at.post("/count/inc")), "+1"),
                Button({"id": "reset"}, data.on("click", at.post("/count/reset")), "Reset"),
                Ul({"id": "history"}),
            ),
            ModuleScript(script_src),
        ),
    ).__html__()


async def change(c: Context, w: Writer) -> None:
    """Apply one button to the count the browser sent, and answer with the new value."""
    signals = await read_signals(c.req)
    count = signals.get("count", 0)
    if type(count) is not int or abs(count) > LIMIT:
        raise HttpException(400, f"count must be an integer within ±{LIMIT}")
    action = c.route.params["action"]
    step = STEPS.get(action)
    if step is None:
        raise HttpException(404, "Not Found")
    new = max(-LIMIT, min(LIMIT, step(count)))
    sse = SSE(w)
    sse.patch_signals({"count": new})
    line = Li(f"{time.strftime('%H:%M:%S')} {action}: {count} → {new}")
    sse.patch_elements(line, selector="#history", mode="prepend")


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    span.attr("app.name", "hello")
    html = page(serve_bundle(app))

    async def home(c: Context, w: Writer) -> None:
        responses.html(w, html)

    app.get("/", home, name="home")
    app.post("/count/{action}", change, name="count")
    yield
