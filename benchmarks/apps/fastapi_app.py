"""The FastAPI peer, served by Uvicorn: ``fastapi_app:app`` (raw responses, same encoder)."""

from __future__ import annotations

from common import HELLO_JSON, JSON_TYPE, PLAINTEXT, TEXT_TYPE, dumps, user, validate
from fastapi import FastAPI, Request, Response

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/plaintext")
async def plaintext() -> Response:
    return Response(PLAINTEXT, media_type=TEXT_TYPE)


@app.get("/json")
async def json_hello() -> Response:
    return Response(dumps(HELLO_JSON), media_type=JSON_TYPE)


@app.get("/user/{user_id}")
async def get_user(user_id: str) -> Response:
    return Response(user(user_id), media_type=JSON_TYPE)


@app.post("/validate")
async def post_validate(request: Request) -> Response:
    status, body = validate(await request.body())
    return Response(body, status_code=status, media_type=JSON_TYPE)
