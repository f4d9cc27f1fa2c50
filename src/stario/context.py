"""``Context``: what a handler knows about its request, route, app and connection."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from stario.alive import Alive
from stario.request import Request
from stario.routetable import RouteInfo
from stario.telemetry import Span

if TYPE_CHECKING:
    from stario.app import App

__all__ = ["Alive", "Context", "RouteInfo", "SpanSource"]

T = TypeVar("T")


class SpanSource(Protocol):
    """Gives a handler its request span, started on first use."""

    def request_span(self) -> Span:
        """The request span."""
        ...


class Context:
    """Per-request context passed to every handler as ``c``.

    ``c.req`` is the request, ``c.route`` the matched route, ``c.span`` the request
    span, ``c.state`` a dict for middleware. ``c.alive()`` keeps a streaming handler
    going until the client disconnects or the server shuts down.
    """

    __slots__ = ("_span", "app", "req", "route", "state")

    def __init__(self, app: App, req: Request, span: Span | SpanSource, route: RouteInfo) -> None:
        self.app = app
        self.req = req
        # PERF: the server passes a source that starts the request span on first
        # use, so a request whose handler never looks at c.span costs the tracer
        # no Span object at all (see BaseTracer.request_recorder).
        self._span = span
        self.route = route
        self.state: dict[str, Any] = {}

    @property
    def span(self) -> Span:
        """The request span (started on first use when the tracer allows it)."""
        span = self._span
        if isinstance(span, Span):
            return span
        span = self._span = span.request_span()
        return span

    @span.setter
    def span(self, span: Span) -> None:
        self._span = span

    @property
    def disconnected(self) -> bool:
        """The client has gone away."""
        return self.req.disconnected.done()

    @property
    def shutting_down(self) -> bool:
        """The server is draining for shutdown."""
        return self.app.shutting_down

    @property
    def closing(self) -> bool:
        """The client went away or the server is shutting down: wrap up."""
        return self.disconnected or self.shutting_down

    def alive(self, source: AsyncIterable[T] | None = None) -> Alive[T]:
        """Run until disconnect or shutdown.

        ``async with c.alive(): ...`` cancels the block when either happens and
        continues after it (cleanup runs). ``async for item in c.alive(source)``
        yields from ``source`` and stops at the same moment. Cancellation from
        outside still propagates.
        """
        return Alive(self, source)
