"""A small app the TestClient tests drive: one route per behaviour under test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from stario import App, Context, HttpException, Span, Writer, responses
from stario.cookies import delete_cookie, set_cookie
from stario.forms import UploadFile


class Log:
    """What the app did, in order, for the tests to inspect."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.disconnected = asyncio.Event()


async def text(c: Context, w: Writer) -> None:
    responses.text(w, "hello")


async def echo_json(c: Context, w: Writer) -> None:
    responses.json(w, await c.req.json())


async def echo_form(c: Context, w: Writer) -> None:
    out: dict[str, Any] = {}
    async with await c.req.form() as form:
        for name, value in form.items():
            if isinstance(value, UploadFile):
                data = await value.read()
                out[name] = [value.filename, value.content_type, data.decode()]
            else:
                out.setdefault(name, []).append(value)
    responses.json(w, out)


async def echo_request(c: Context, w: Writer) -> None:
    req = c.req
    body = await req.body()
    responses.json(
        w,
        {
            "method": req.method,
            "path": req.path,
            "raw_path": req.raw_path,
            "query": {k: req.query.getlist(k) for k in req.query},
            "headers": req.headers.items(),
            "cookies": req.cookies,
            "body": body.decode("latin-1"),
            "client": req.client,
            "host": req.host,
        },
    )


async def count_chunks(c: Context, w: Writer) -> None:
    sizes = [len(chunk) async for chunk in c.req.stream()]
    responses.json(w, {"chunks": len(sizes), "total": sum(sizes)})


async def cookies_set(c: Context, w: Writer) -> None:
    set_cookie(w, "a", "1")
    set_cookie(w, "scoped", "2", path="/cookies/deep", httponly=True)
    responses.text(w, "set")


async def cookies_delete(c: Context, w: Writer) -> None:
    delete_cookie(w, "a")
    responses.text(w, "deleted")


async def redirect_chain(c: Context, w: Writer) -> None:
    n = int(c.route.params["n"])
    if n == 0:
        responses.text(w, "arrived")
    else:
        responses.redirect(w, f"/redirect/{n - 1}", 302)


def redirect_to(location: str, status: int) -> Any:
    async def handler(c: Context, w: Writer) -> None:
        responses.redirect(w, location, status)

    return handler


async def streamed(c: Context, w: Writer) -> None:
    w.write("one ")
    await w.drain()
    w.write("two ")
    w.end("three")


def sse(log: Log) -> Any:
    async def handler(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/event-stream")
        w.write("event: x\ndata: a\ndata: b\n\n")
        w.write(': ping\n\nid: 7\nretry: 1500\ndata: {"n": 1}\n\n')
        await w.drain()
        async with c.alive():
            await asyncio.Future()  # until the client goes away or shutdown
        log.events.append("sse ended")
        log.disconnected.set()

    return handler


async def boom(c: Context, w: Writer) -> None:
    raise RuntimeError("kaboom")


async def boom_midway(c: Context, w: Writer) -> None:
    w.write("partial")
    raise RuntimeError("midway")


async def teapot(c: Context, w: Writer) -> None:
    raise HttpException(418, "short and stout")


def background(app: App, log: Log) -> Any:
    async def work() -> None:
        await app.wait_shutdown()
        log.events.append("task done")

    async def handler(c: Context, w: Writer) -> None:
        app.create_task(work(), name="background")
        responses.text(w, "started")

    return handler


def make_bootstrap(log: Log) -> Any:
    """A bootstrap that logs setup and teardown and registers every demo route."""

    async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
        span.attr("app.name", "demo")
        log.events.append("setup")
        app.get("/text", text)
        app.post("/json", echo_json)
        app.post("/form", echo_form)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            app.handle(method, "/echo", echo_request)
            app.handle(method, "/elsewhere/echo", echo_request)
        app.post("/chunks", count_chunks)
        app.get("/cookies/set", cookies_set)
        app.get("/cookies/delete", cookies_delete)
        app.get("/cookies/deep/echo", echo_request)
        app.get("/redirect/{n}", redirect_chain)
        app.post("/r/303", redirect_to("/echo", 303))
        app.post("/r/307", redirect_to("/echo", 307))
        app.post("/r/308", redirect_to("/echo?moved=1", 308))
        app.get("/r/away", redirect_to("http://other.example/elsewhere/echo", 302))
        app.get("/r/loop", redirect_to("/r/loop", 302))
        app.get("/stream", streamed)
        app.get("/sse", sse(log))
        app.get("/boom", boom)
        app.get("/boom-midway", boom_midway)
        app.get("/teapot", teapot)
        app.post("/background", background(app, log))
        yield
        log.events.append("teardown")

    return bootstrap
