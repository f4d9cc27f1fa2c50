"""The aiohttp peer: ``python aiohttp_app.py --port PORT``; SSE through aiohttp-sse.

One process on uvloop, no access log. The SSE broadcast is an ``asyncio.Queue`` per
client; ``POST /publish`` puts each event into every queue.
"""

from __future__ import annotations

import argparse
import asyncio

import uvloop
from aiohttp import web
from aiohttp_sse import sse_response
from common import (
    HELLO_JSON,
    JSON_TYPE,
    KEEP_ALIVE_SECONDS,
    PLAINTEXT,
    TEXT_TYPE,
    dumps,
    publish_args,
    run_publisher,
    user,
    validate,
)

QUEUES: set[asyncio.Queue[bytes]] = set()
TASKS: set[asyncio.Task[None]] = set()
PING_SECONDS = 600  # no keep-alive comments during a measurement


async def plaintext(request: web.Request) -> web.Response:
    return web.Response(body=PLAINTEXT, content_type=TEXT_TYPE)


async def json_hello(request: web.Request) -> web.Response:
    return web.Response(body=dumps(HELLO_JSON), content_type=JSON_TYPE)


async def get_user(request: web.Request) -> web.Response:
    return web.Response(body=user(request.match_info["user_id"]), content_type=JSON_TYPE)


async def post_validate(request: web.Request) -> web.Response:
    status, body = validate(await request.read())
    return web.Response(body=body, status=status, content_type=JSON_TYPE)


async def sse(request: web.Request) -> web.StreamResponse:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    QUEUES.add(queue)
    try:
        async with sse_response(request, ping_interval=PING_SECONDS, sep="\n") as response:
            while response.is_connected():
                await response.send((await queue.get()).decode())
    finally:
        QUEUES.discard(queue)
    return response


def _broadcast(payload: bytes) -> None:
    for queue in QUEUES:
        queue.put_nowait(payload)


async def publish(request: web.Request) -> web.Response:
    count, interval, first = publish_args(request.query.get)
    task = asyncio.create_task(run_publisher(_broadcast, count, interval, first))
    TASKS.add(task)
    task.add_done_callback(TASKS.discard)
    return web.Response(body=b"started", status=202, content_type=TEXT_TYPE)


def make_app() -> web.Application:
    """The aiohttp application with every benchmark route."""
    app = web.Application()
    app.router.add_get("/plaintext", plaintext)
    app.router.add_get("/json", json_hello)
    app.router.add_get("/user/{user_id}", get_user)
    app.router.add_post("/validate", post_validate)
    app.router.add_get("/sse", sse)
    app.router.add_post("/publish", publish)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(
        make_app(),
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
        keepalive_timeout=KEEP_ALIVE_SECONDS,
        backlog=2048,
        loop=uvloop.new_event_loop(),
    )
