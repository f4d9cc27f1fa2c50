"""The `Tracer` protocol, the `BaseTracer` helper class and the span JSON schema."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, cast, runtime_checkable

from .span import AttrValue, Span

__all__ = ["BaseTracer", "RequestRecorder", "Tracer", "check_tracer", "span_to_dict"]

RequestRecorder: TypeAlias = Callable[[str, str, str, str, int, int, int], None]
"""Exports a request span that nobody touched, straight from its fields: method,
path, HTTP version, client address, response status code, start_ns and end_ns."""


@runtime_checkable
class Tracer(Protocol):
    """What the server needs from a tracer: `start()` spans and `close()` at shutdown.

    To write your own, subclass `BaseTracer` and implement `export(span)`, which is
    called once for every span when it ends::

        class PrintTracer(BaseTracer):
            def export(self, span: Span) -> None:
                print(span.name, span.duration_ns)

    Override `on_start(span)` to see spans as they begin and `close()` to flush
    buffers. Export runs on the event loop: hand slow I/O to a thread. Point
    `stario serve --tracer module:factory` at a callable returning the tracer.
    """

    def start(
        self,
        name: str,
        *,
        parent: Span | None = None,
        attributes: Mapping[str, AttrValue] | None = None,
        links: Sequence[Span] = (),
    ) -> Span:
        """Start a span: a root span, or a child of `parent` in the same trace."""
        ...

    def close(self) -> None:
        """Flush what is pending and release resources. Safe to call twice."""
        ...


class BaseTracer(ABC):
    """A tracer that builds recording `Span`s and exports each one when it ends.

    Subclasses implement `export(span)`. An exception raised by `export` is counted
    in `export_errors` and never propagates: a failing sink must not stop the server.
    """

    export_errors: int = 0
    """How many `export()` calls, and calls of the request recorder, raised."""

    def start(
        self,
        name: str,
        *,
        parent: Span | None = None,
        attributes: Mapping[str, AttrValue] | None = None,
        links: Sequence[Span] = (),
    ) -> Span:
        """Start a span: a root span, or a child of `parent` in the same trace."""
        if parent is None or not parent.recording:
            span = Span(self, name, attributes=attributes)
        else:
            span = Span(
                self,
                name,
                trace_id=parent.trace_id,
                parent_id=parent.span_id,
                attributes=attributes,
            )
            span._depth = parent._depth + 1
        for other in links:
            span.link(other)
        self.on_start(span)
        return span

    def on_start(self, span: Span) -> None:  # noqa: B027 - optional hook
        """Called with each new span before `start()` returns it. Default: nothing."""

    @abstractmethod
    def export(self, span: Span) -> None:
        """Deliver one ended span. Subclasses must implement this."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release resources. Default: nothing."""

    def request_recorder(self) -> RequestRecorder | None:
        """A shortcut for request spans the app never touched, or None (the default).

        The server starts a request span only when the handler or middleware asks
        for ``c.span``; a request that never did is handed to the returned callable
        as plain fields, which must export exactly what `export()` would have for
        an ended `Span` named after the method, status ok, with the attributes
        ``request.method``, ``request.path``, ``http.version``, ``client.address``
        and ``response.status_code`` in that order. The method and version are as
        the parser let them through (an HTTP token, ``1.0`` or ``1.1``). Tracers
        that watch spans begin (`on_start`) must return None. An exception the
        recorder raises is counted in `export_errors`, like one from `export()`.
        """
        return None

    def _own_export(self, cls: type[BaseTracer]) -> bool:
        """True unless a subclass of ``cls`` replaced ``export`` or ``on_start``."""
        kind = type(self)
        return kind.export is cls.export and kind.on_start is BaseTracer.on_start

    def _export(self, span: Span) -> None:
        # Called by Span.end(); a broken sink costs a counter, never a request.
        try:
            self.export(span)
        except Exception:
            self.export_errors += 1


def check_tracer(obj: object) -> Tracer:
    """Return `obj` as a `Tracer`, or raise `TypeError` naming what is missing."""
    kind = type(obj).__name__
    if isinstance(obj, type):
        raise TypeError(f"tracer object is the class {obj.__name__}, not an instance of it")
    missing = [name for name in ("start", "close") if not callable(getattr(obj, name, None))]
    if missing:
        names = " and ".join(repr(name) for name in missing)
        raise TypeError(f"tracer object of type {kind} has no callable {names}")
    return cast(Tracer, obj)


def span_to_dict(span: Span) -> dict[str, Any]:
    """The JSON-ready record of a span (`parent_id` only for child spans)."""
    record: dict[str, Any] = {"trace_id": span.trace_id, "span_id": span.span_id}
    if span.parent_id is not None:
        record["parent_id"] = span.parent_id
    record["name"] = span.name
    record["start_ns"] = span.start_ns
    record["end_ns"] = span.end_ns
    record["duration_ns"] = span.duration_ns
    record["status"] = span.status
    record["error"] = span.error
    record["attributes"] = dict(span.attributes)
    record["events"] = [
        {"time_ns": e.time_ns, "name": e.name, "attributes": dict(e.attributes), "body": e.body}
        for e in span.events
    ]
    record["links"] = [
        {"trace_id": link.trace_id, "span_id": link.span_id, "attributes": dict(link.attributes)}
        for link in span.links
    ]
    return record
