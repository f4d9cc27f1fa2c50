"""The BlackSheep peer, an ASGI app served by Granian or Uvicorn: ``blacksheep_app:app``."""

from __future__ import annotations

from blacksheep import Application, Content, Request, Response
from common import HELLO_JSON, JSON_TYPE, PLAINTEXT, TEXT_TYPE, dumps, user, validate

app = Application()
_TEXT = TEXT_TYPE.encode()
_JSON = JSON_TYPE.encode()


@app.router.get("/plaintext")
async def plaintext() -> Response:
    return Response(200, content=Content(_TEXT, PLAINTEXT))


@app.router.get("/json")
async def json_hello() -> Response:
    return Response(200, content=Content(_JSON, dumps(HELLO_JSON)))


@app.router.get("/user/{user_id}")
async def get_user(user_id: str) -> Response:
    return Response(200, content=Content(_JSON, user(user_id)))


@app.router.post("/validate")
async def post_validate(request: Request) -> Response:
    status, body = validate(await request.read() or b"")
    return Response(status, content=Content(_JSON, body))
