"""The Starlette peer, served by Uvicorn: ``starlette_app:app``; SSE through sse-starlette.

The SSE broadcast is the usual in-process one: an ``asyncio.Queue`` per client, and
``POST /publish`` puts each event into every queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from common import (
    HELLO_JSON,
    JSON_TYPE,
    PLAINTEXT,
    TEXT_TYPE,
    dumps,
    publish_args,
    run_publisher,
    user,
    validate,
)
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

QUEUES: set[asyncio.Queue[bytes]] = set()
PING_SECONDS = 600  # no keep-alive comments during a measurement


async def plaintext(request: Request) -> Response:
    return Response(PLAINTEXT, media_type=TEXT_TYPE)


async def json_hello(request: Request) -> Response:
    return Response(dumps(HELLO_JSON), media_type=JSON_TYPE)


async def get_user(request: Request) -> Response:
    return Response(user(request.path_params["user_id"]), media_type=JSON_TYPE)


async def post_validate(request: Request) -> Response:
    status, body = validate(await request.body())
    return Response(body, status_code=status, media_type=JSON_TYPE)


async def sse(request: Request) -> EventSourceResponse:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    QUEUES.add(queue)

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            while True:
                yield {"data": (await queue.get()).decode()}
        finally:
            QUEUES.discard(queue)

    return EventSourceResponse(events(), ping=PING_SECONDS, sep="\n")


def _broadcast(payload: bytes) -> None:
    for queue in QUEUES:
        queue.put_nowait(payload)


async def publish(request: Request) -> Response:
    count, interval, first = publish_args(request.query_params.get)
    task = BackgroundTask(run_publisher, _broadcast, count, interval, first)
    return Response(b"started", status_code=202, media_type=TEXT_TYPE, background=task)


app = Starlette(
    routes=[
        Route("/plaintext", plaintext),
        Route("/json", json_hello),
        Route("/user/{user_id}", get_user),
        Route("/validate", post_validate, methods=["POST"]),
        Route("/sse", sse),
        Route("/publish", publish, methods=["POST"]),
    ]
)
