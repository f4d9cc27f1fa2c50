"""A small stario app ready to ship: a page, health checks, a Datastar stream, uploads.

The container runs exactly what you run on your machine::

    stario serve main:bootstrap --host 0.0.0.0 --port 8000 --tracer json

Routes
    GET  /              the page; it opens /clock with Datastar and posts to /api/upload
    GET  /healthz       liveness: 200 "ok" while the process serves requests
    GET  /readyz        readiness: 200 "ready", 503 "draining" once shutdown began
    GET  /clock         Server-Sent Events: one ``datastar-patch-elements`` event every
                        0.5 s while the client stays (``?limit=N`` stops after N events)
    POST /api/upload    reads the body (capped by --max-request-body-bytes, 413 above)
                        and answers its size and SHA-256 as JSON
    GET  /api/whoami    the host, scheme and client address the app sees: handy when
                        setting up a proxy and --forwarded-allow-ips

Configuration comes from the environment and is read in ``bootstrap``:
``APP_TITLE`` names the page (default "stario deploy example").
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
from collections.abc import AsyncIterator

from stario import App, Context, Span, Writer, responses
from stario.middleware import security_headers

TICK_SECONDS = 0.5
DATASTAR_URL = "https://cdn.jsdelivr.net/gh/starfederation/datastar@1.0.0/bundles/datastar.js"
# Datastar evaluates expressions with Function(), so its pages need 'unsafe-eval'.
CSP = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'self'; form-action 'self'"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <script type="module" src="{datastar}"></script>
</head>
<body>
  <h1>{title}</h1>
  <p>Ticks from <code>/clock</code>: <span id="clock" data-init="@get('/clock')">0</span></p>
  <div data-signals="{{note: '', bytes: 0}}">
    <input data-bind:note placeholder="a note to upload">
    <button data-on:click="@post('/api/upload')">Upload</button>
    <p>The server received <strong data-text="$bytes">0</strong> bytes.</p>
  </div>
</body>
</html>
"""


def clock_event(tick: int) -> bytes:
    """One Datastar ``datastar-patch-elements`` event replacing ``#clock`` (SSE bytes)."""
    return (
        f"event: datastar-patch-elements\n"
        f"id: {tick}\n"
        f'data: elements <span id="clock">{tick}</span>\n'
        f"\n"
    ).encode()


def page(title: str) -> bytes:
    """The HTML page, titled ``title`` (escaped)."""
    return PAGE.format(title=html.escape(title), datastar=DATASTAR_URL).encode()


async def healthz(c: Context, w: Writer) -> None:
    """Liveness: the event loop answers."""
    responses.text(w, "ok")


async def readyz(c: Context, w: Writer) -> None:
    """Readiness: 503 once the server drains, so the balancer stops sending traffic."""
    if c.app.shutting_down:
        responses.text(w, "draining", 503)
    else:
        responses.text(w, "ready")


async def clock(c: Context, w: Writer) -> None:
    """Stream ticks as Datastar events until the client leaves or the server drains."""
    limit = _limit(c.req.query.get("limit"))
    w.headers["content-type"] = "text/event-stream"
    w.headers["cache-control"] = "no-cache"
    w.write_headers(200)
    tick = 0
    try:
        async with c.alive():
            while limit is None or tick < limit:
                w.write(clock_event(tick))
                await w.drain()
                tick += 1
                if limit is None or tick < limit:
                    await asyncio.sleep(TICK_SECONDS)
    finally:
        # Runs however the stream ends: limit reached, client gone or server draining.
        c.span.attr("clock.ticks", tick)


async def upload(c: Context, w: Writer) -> None:
    """Read the whole body (the server enforces the size cap) and describe it."""
    body = await c.req.body()
    responses.json(w, {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()})


async def whoami(c: Context, w: Writer) -> None:
    """What the app sees of the request: Host header, scheme and client address."""
    req = c.req
    responses.json(w, {"host": req.host, "scheme": req.scheme, "client": req.client})


def _limit(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit():
        return None
    return int(raw)


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    """Read configuration, register routes; teardown runs after in-flight requests end."""
    title = os.environ.get("APP_TITLE") or "stario deploy example"
    span.attr("app.title", title)
    # The proxy adds site-wide defaults only where a header is missing, so the app's
    # choices win: its own CSP and a stricter Referrer-Policy than the edge's.
    app.use(security_headers(csp=CSP, referrer_policy="same-origin"))
    body = page(title)

    async def home(c: Context, w: Writer) -> None:
        w.respond(body, "text/html; charset=utf-8")

    app.get("/", home, name="home")
    app.get("/healthz", healthz, name="healthz")
    app.get("/readyz", readyz, name="readyz")
    app.get("/clock", clock, name="clock")
    app.post("/api/upload", upload, name="upload")
    app.get("/api/whoami", whoami, name="whoami")
    yield
    # Close here what setup opened (database pools, HTTP clients).
