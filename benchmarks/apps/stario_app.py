"""The stario server of the benchmark suite: the route mix plus SSE fan-out via ``Relay``.

Served by ``python -m stario serve stario_app:bootstrap`` from this directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from common import (
    HELLO_JSON,
    JSON_TYPE,
    PLAINTEXT,
    SSE_SUBJECT,
    TEXT_TYPE,
    dumps,
    publish_args,
    run_publisher,
    sse_frame,
    user,
    validate,
)

from stario import App, Context, Span, Writer
from stario.relay import Relay

RELAY: Relay[bytes] = Relay(maxsize=4096)


async def plaintext(c: Context, w: Writer) -> None:
    w.respond(PLAINTEXT, TEXT_TYPE)


async def json_hello(c: Context, w: Writer) -> None:
    w.respond(dumps(HELLO_JSON), JSON_TYPE)


async def get_user(c: Context, w: Writer) -> None:
    w.respond(user(c.route.params["id"]), JSON_TYPE)


async def post_validate(c: Context, w: Writer) -> None:
    status, body = validate(await c.req.body())
    w.respond(body, JSON_TYPE, status)


async def sse(c: Context, w: Writer) -> None:
    # Subscribe before the head goes out: once the client sees the head, nothing
    # published afterwards can be missed.
    subscription = RELAY.subscribe(SSE_SUBJECT)
    w.headers.set("content-type", "text/event-stream")
    w.headers.set("cache-control", "no-store")
    w.write_headers(200)
    async for message in c.alive(subscription):
        w.write(sse_frame(message.data))


async def publish(c: Context, w: Writer) -> None:
    count, interval, first = publish_args(c.req.query.get)
    c.app.create_task(run_publisher(_publish, count, interval, first), name="publisher")
    w.respond(b"started", TEXT_TYPE, 202)


def _publish(payload: bytes) -> None:
    RELAY.publish(SSE_SUBJECT, payload)


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    app.get("/plaintext", plaintext)
    app.get("/json", json_hello)
    app.get("/user/{id}", get_user)
    app.post("/validate", post_validate)
    app.get("/sse", sse)
    app.post("/publish", publish)
    async with RELAY:
        yield
