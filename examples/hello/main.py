"""Hello, stario: a page and a JSON endpoint.

Run it with ``stario serve main:bootstrap`` from this directory.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from stario import App, Context, Span, Writer, responses

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello, stario</title></head>
<body>
  <h1>Hello, stario</h1>
  <p>This page came from <code>examples/hello/main.py</code>.</p>
  <p>Try <a href="/api/hello?name=you">/api/hello?name=you</a>.</p>
</body>
</html>
"""


async def home(c: Context, w: Writer) -> None:
    responses.html(w, PAGE)


async def hello(c: Context, w: Writer) -> None:
    name = c.req.query.get("name") or "world"
    responses.json(w, {"message": f"Hello, {name}!", "served_at": time.time()})


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    span.attr("app.name", "hello")
    app.get("/", home, name="home")
    app.get("/api/hello", hello, name="hello")
    yield
