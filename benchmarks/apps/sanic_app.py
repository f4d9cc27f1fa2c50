"""The Sanic peer: ``python sanic_app.py --port PORT`` (one process, uvloop, no access log)."""

from __future__ import annotations

import argparse

from common import (
    HELLO_JSON,
    JSON_TYPE,
    KEEP_ALIVE_SECONDS,
    PLAINTEXT,
    TEXT_TYPE,
    dumps,
    user,
    validate,
)
from sanic import HTTPResponse, Request, Sanic

app = Sanic("bench")
app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_SECONDS


@app.get("/plaintext")
async def plaintext(request: Request) -> HTTPResponse:
    return HTTPResponse(PLAINTEXT, content_type=TEXT_TYPE)


@app.get("/json")
async def json_hello(request: Request) -> HTTPResponse:
    return HTTPResponse(dumps(HELLO_JSON), content_type=JSON_TYPE)


@app.get("/user/<user_id:str>")
async def get_user(request: Request, user_id: str) -> HTTPResponse:
    return HTTPResponse(user(user_id), content_type=JSON_TYPE)


@app.post("/validate")
async def post_validate(request: Request) -> HTTPResponse:
    status, body = validate(request.body)
    return HTTPResponse(body, status=status, content_type=JSON_TYPE)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app.run(
        host=args.host,
        port=args.port,
        single_process=True,
        access_log=False,
        motd=False,
        backlog=2048,
    )
