"""``App``: a router plus error handling, background tasks and the shutdown signal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from stario.context import Context, RouteInfo, SpanSource
from stario.errors import ClientDisconnected, HttpException, RedirectException, StarioError
from stario.request import Request
from stario.responses import redirect
from stario.routetable import Match, MethodNotAllowed, Redirect, RouteTable
from stario.routing import Router
from stario.telemetry import Span
from stario.types import Handler, Middleware
from stario.writer import Writer

__all__ = ["App", "ErrorHandler"]

E = TypeVar("E", bound=BaseException)
T = TypeVar("T")
ErrorHandler = Callable[[Context, Writer, Any], Awaitable[None]]

_TEXT = "text/plain; charset=utf-8"
_NO_ROUTE = RouteInfo("", {})


class App(Router):
    """The application: routes, middleware, error handlers, tasks and lifecycle.

    ``bootstrap(app, span)`` registers everything; the server freezes the routes
    before it binds. ``app.shutting_down`` turns true when the server starts
    draining; ``await app.wait_shutdown()`` waits for that moment.
    """

    def __init__(self, *, middleware: Sequence[Middleware] = ()) -> None:
        super().__init__(middleware=middleware)
        self._error_handlers: dict[type[BaseException], ErrorHandler] = {}
        self._table: RouteTable | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._shutdown: asyncio.Future[None] | None = None
        self._fallback: Handler = _no_route  # wrapped in app middleware by freeze()

    # --- registration ---------------------------------------------------------------

    def on_error(
        self, exc_type: type[E], handler: Callable[[Context, Writer, E], Awaitable[None]]
    ) -> None:
        """Answer exceptions of ``exc_type`` (and subclasses) with ``handler(c, w, exc)``.

        The most specific registered type in the exception's MRO wins. Error handlers
        run only while no response head has been sent.
        """
        if not (isinstance(exc_type, type) and issubclass(exc_type, BaseException)):
            raise StarioError(
                f"on_error needs an exception class, got {exc_type!r}",
                example="app.on_error(KeyError, not_found)",
            )
        if not callable(handler):
            raise StarioError("on_error handler must be an async function (c, w, exc)")
        self._error_handlers[exc_type] = handler

    def url_for(
        self, name: str, /, *, query: Mapping[str, Any] | None = None, **params: Any
    ) -> str:
        """The path of the route registered as ``name``, params percent-quoted."""
        return self.freeze().url_for(name, query=query, **params)

    def freeze(self) -> RouteTable:
        """Compile the routes (done once by the server before serving)."""
        if self._table is None:
            self._table = self.compile()
            self._fallback = self._wrap_app_middleware(_no_route)
            self._frozen = True
        return self._table

    def _wrap_app_middleware(self, handler: Handler) -> Handler:
        for mw in reversed(self.middleware):
            handler = mw(handler)
        return handler

    # --- tasks and lifecycle ------------------------------------------------------------

    def create_task(
        self, coro: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> asyncio.Task[T]:
        """Start background work the server waits for (up to the graceful timeout)."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        """Background tasks still running."""
        return frozenset(self._tasks)

    def shutdown_signal(self) -> asyncio.Future[None]:
        """A future that resolves when shutdown begins."""
        if self._shutdown is None:
            self._shutdown = asyncio.get_running_loop().create_future()
        return self._shutdown

    @property
    def shutting_down(self) -> bool:
        """True once the server started its graceful shutdown."""
        return self._shutdown is not None and self._shutdown.done()

    async def wait_shutdown(self) -> None:
        """Wait until the server starts shutting down."""
        await asyncio.shield(self.shutdown_signal())

    def begin_shutdown(self) -> None:
        """Signal shutdown to handlers and tasks (called by the server)."""
        signal = self.shutdown_signal()
        if not signal.done():
            signal.set_result(None)

    # --- dispatch ---------------------------------------------------------------------

    async def dispatch(self, req: Request, w: Writer, span: Span | SpanSource) -> None:
        """Route ``req``, run the handler and map exceptions to responses.

        ``span`` is the request span, or a source that starts it when the handler
        first asks for ``c.span``.
        """
        table = self._table or self.freeze()
        # PERF: the Host header is decoded only when some route is host-specific.
        result = table.match(req.method, req.host if table.has_hosts else "", req.raw_path)
        if type(result) is Match:
            c = Context(self, req, span, result)
            handler = result.handler
        else:
            c = Context(self, req, span, _NO_ROUTE)
            c.state["stario.no_route"] = result
            handler = self._fallback
        try:
            await handler(c, w)
        except Exception as exc:
            await self._handle_error(c, w, exc)

    async def _handle_error(self, c: Context, w: Writer, exc: Exception) -> None:
        if isinstance(exc, ClientDisconnected):
            c.span.attr("client.disconnected", True)
            if not w.completed:
                w.abort()
            return
        if w.started:
            # Too late for an error page: cut the stream so the client sees truncation.
            _record(c.span, exc)
            if not w.completed:
                w.abort()
            return
        handler = self._error_handler_for(type(exc))
        if handler is not None:
            try:
                await handler(c, w, exc)
                return
            except Exception as inner:
                exc = inner
                if w.started:
                    _record(c.span, exc)
                    w.abort()
                    return
        _default_error(c, w, exc)

    def _error_handler_for(self, exc_type: type[BaseException]) -> ErrorHandler | None:
        handlers = self._error_handlers
        if handlers:
            for klass in exc_type.__mro__:
                handler = handlers.get(klass)
                if handler is not None:
                    return handler
        return None


def _record(span: Span, exc: BaseException) -> None:
    span.exception(exc)
    span.fail(f"{type(exc).__name__}: {exc}")


def _default_error(c: Context, w: Writer, exc: Exception) -> None:
    w.headers.pop("content-length")
    if isinstance(exc, HttpException):
        w.respond(exc.detail, _TEXT, exc.status)
        if exc.status >= 500:
            c.span.fail(exc.detail)
    elif isinstance(exc, RedirectException):
        redirect(w, exc.location, exc.status)
    else:
        _record(c.span, exc)
        w.respond(b"Internal Server Error", _TEXT, 500)


async def _no_route(c: Context, w: Writer) -> None:
    """Answers 404, 405 (with Allow), 204 for OPTIONS, or the trailing-slash 308."""
    result = c.state.get("stario.no_route")
    if isinstance(result, Redirect):
        query = c.req.query_bytes
        location = result.location + ("?" + query.decode("latin-1") if query else "")
        w.headers.set("location", location)
        w.respond(b"", _TEXT, 308)
    elif isinstance(result, MethodNotAllowed):
        w.headers.set("allow", ", ".join(result.allow))
        if c.req.method == "OPTIONS":
            w.respond(b"", _TEXT, 204)
        else:
            w.respond(b"Method Not Allowed", _TEXT, 405)
    elif c.req.method == "OPTIONS" and c.req.raw_path == "*":
        # RFC 9110 §9.3.7: "OPTIONS *" asks about the server, not a resource.
        w.headers.set("allow", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT")
        w.respond(b"", _TEXT, 204)
    else:
        w.respond(b"Not Found", _TEXT, 404)
