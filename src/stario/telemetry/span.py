"""Spans: timed, attributed units of work that form a trace tree.

A `Span` records its name, start/end times, status, attributes, events and links.
When it ends it hands itself to its tracer for export. `NoopSpan` (and the shared
`NOOP_SPAN`) has the same interface and records nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Literal, TypeAlias

from ._ids import new_span_id, new_trace_id

if TYPE_CHECKING:
    from .tracer import BaseTracer

__all__ = ["NOOP_SPAN", "AttrValue", "NoopSpan", "Span", "SpanEvent", "SpanLink"]

AttrValue: TypeAlias = str | int | float | bool | Sequence[str | int | float | bool] | None
"""A value accepted as a span, event or link attribute."""

Status: TypeAlias = Literal["ok", "error"]

_time_ns = time.time_ns


def _type_name(cls: type) -> str:
    """`ValueError` for builtins, `package.module.Class` otherwise."""
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


# Cancellation and generator close are control flow, not failures.
_NOT_FAILURES: tuple[type[BaseException], ...] = (asyncio.CancelledError, GeneratorExit)


# The stario package directory: frames from here at the top of a traceback are the
# framework calling the handler, noise for whoever reads the trace.
_FRAMEWORK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# Frames of modules compiled with mypyc name their source by its path at build time,
# relative to the project ("src/stario/app.py") or to its source root.
_COMPILED_PREFIXES = ("stario" + os.sep, os.path.join("src", "stario") + os.sep)


def _is_framework(filename: str) -> bool:
    if filename.startswith(_FRAMEWORK_DIR):
        return True
    return not os.path.isabs(filename) and filename.startswith(_COMPILED_PREFIXES)


def format_traceback(exc: BaseException) -> str:
    """The formatted traceback of ``exc`` without the framework's leading frames.

    Frames of stario itself at the top of the stack (dispatch, middleware plumbing)
    are dropped; frames below user code, chained exceptions and the last frame are
    always kept.
    """
    tb = exc.__traceback__
    while (
        tb is not None and tb.tb_next is not None and _is_framework(tb.tb_frame.f_code.co_filename)
    ):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


@dataclass(slots=True)
class SpanEvent:
    """Something that happened at one instant during a span (`body` holds long text)."""

    time_ns: int
    name: str
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    body: str | None = None


@dataclass(slots=True)
class SpanLink:
    """A reference from one span to another span, possibly in another trace."""

    trace_id: str
    span_id: str
    attributes: dict[str, AttrValue] = field(default_factory=dict)


class Span:
    """A recording span. Mutators are ignored once `end()` has been called.

    Use it as a context manager to end it automatically; an exception escaping the
    block is recorded as an "exception" event and sets the status to "error".
    """

    # PERF: a class attribute, not a property: the connection reads it twice per request.
    recording: ClassVar[bool] = True
    """True: this span records what it is given (False for `NoopSpan`)."""

    __slots__ = (
        "_depth",
        "_tracer",
        "attributes",
        "end_ns",
        "error",
        "events",
        "links",
        "name",
        "parent_id",
        "span_id",
        "start_ns",
        "status",
        "trace_id",
    )

    def __init__(
        self,
        tracer: BaseTracer | None,
        name: str,
        *,
        trace_id: str | None = None,
        parent_id: str | None = None,
        attributes: Mapping[str, AttrValue] | None = None,
        start_ns: int | None = None,
    ) -> None:
        self._tracer = tracer
        self.name = name
        if trace_id is None:
            trace_id = new_trace_id()
            self.span_id = trace_id[:16]
        else:
            self.span_id = new_span_id()
        self.trace_id: str = trace_id
        # Nesting level in the trace (root 0); `BaseTracer.start` sets it for children.
        self._depth = 0 if parent_id is None else 1
        self.parent_id = parent_id
        self.start_ns: int = _time_ns() if start_ns is None else start_ns
        self.end_ns: int | None = None
        self.status: Status = "ok"
        self.error: str | None = None
        self.attributes: dict[str, AttrValue] = dict(attributes) if attributes else {}
        self.events: list[SpanEvent] = []
        self.links: list[SpanLink] = []

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name!r} trace={self.trace_id} "
            f"span={self.span_id} status={self.status}>"
        )

    @property
    def ended(self) -> bool:
        """Whether `end()` has been called."""
        return self.end_ns is not None

    @property
    def duration_ns(self) -> int | None:
        """Nanoseconds between start and end, or None while the span is open."""
        return None if self.end_ns is None else self.end_ns - self.start_ns

    def attr(self, key: str, value: AttrValue) -> None:
        """Set one attribute."""
        if self.end_ns is None:
            self.attributes[key] = value

    def attrs(self, mapping: Mapping[str, AttrValue] | None = None, /, **kw: AttrValue) -> None:
        """Set several attributes from a mapping and/or keywords."""
        if self.end_ns is None:
            if mapping:
                self.attributes.update(mapping)
            if kw:
                self.attributes.update(kw)

    def event(
        self, name: str, attrs: Mapping[str, AttrValue] | None = None, *, body: str | None = None
    ) -> None:
        """Record an event now, with optional attributes and a free-text body."""
        if self.end_ns is None:
            attributes = dict(attrs) if attrs else {}
            self.events.append(SpanEvent(time.time_ns(), name, attributes, body))

    def exception(self, exc: BaseException) -> None:
        """Record an "exception" event with type, message and the formatted traceback.

        The status is left alone; call `fail()` too if the span failed.
        """
        if self.end_ns is None:
            attributes: dict[str, AttrValue] = {
                "exception.type": _type_name(type(exc)),
                "exception.message": str(exc),
            }
            self.event("exception", attributes, body=format_traceback(exc))

    def fail(self, message: str) -> None:
        """Mark the span as failed with a short human-readable message."""
        if self.end_ns is None:
            self.status = "error"
            self.error = message

    def step(self, name: str, attributes: Mapping[str, AttrValue] | None = None) -> Span:
        """Start a child span (same trace, this span as parent, same tracer)."""
        if self._tracer is not None:
            return self._tracer.start(name, parent=self, attributes=attributes)
        child = Span(
            None, name, trace_id=self.trace_id, parent_id=self.span_id, attributes=attributes
        )
        child._depth = self._depth + 1
        return child

    def link(self, other: Span, attrs: Mapping[str, AttrValue] | None = None) -> None:
        """Link this span to `other` (ignored when `other` does not record)."""
        if self.end_ns is None and other.recording:
            attributes = dict(attrs) if attrs else {}
            self.links.append(SpanLink(other.trace_id, other.span_id, attributes))

    def end(self, end_ns: int | None = None) -> None:
        """End the span and hand it to the tracer. Later calls do nothing."""
        if self.end_ns is not None:
            return
        self.end_ns = _time_ns() if end_ns is None else end_ns
        if self._tracer is not None:
            self._tracer._export(self)

    def __enter__(self) -> Span:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and not isinstance(exc, _NOT_FAILURES):
            self.exception(exc)
            name = _type_name(type(exc))
            message = str(exc)
            self.fail(f"{name}: {message}" if message else name)
        self.end()


class NoopSpan(Span):
    """A span that records nothing; every method is a no-op and `step()` returns self.

    Use the shared `NOOP_SPAN` instead of creating new ones. Its `attributes`,
    `events` and `links` are empty and must not be mutated.
    """

    recording: ClassVar[bool] = False
    """False: nothing is recorded."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(None, "", trace_id="0" * 32, start_ns=0)
        self.span_id = "0" * 16

    @property
    def ended(self) -> bool:
        """Always False: a no-op span never ends."""
        return False

    def attr(self, key: str, value: AttrValue) -> None:
        """Do nothing."""

    def attrs(self, mapping: Mapping[str, AttrValue] | None = None, /, **kw: AttrValue) -> None:
        """Do nothing."""

    def event(
        self, name: str, attrs: Mapping[str, AttrValue] | None = None, *, body: str | None = None
    ) -> None:
        """Do nothing."""

    def exception(self, exc: BaseException) -> None:
        """Do nothing."""

    def fail(self, message: str) -> None:
        """Do nothing."""

    def step(self, name: str, attributes: Mapping[str, AttrValue] | None = None) -> Span:
        """Return this same no-op span."""
        return self

    def link(self, other: Span, attrs: Mapping[str, AttrValue] | None = None) -> None:
        """Do nothing."""

    def end(self, end_ns: int | None = None) -> None:
        """Do nothing."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


NOOP_SPAN = NoopSpan()
"""The shared no-op span returned by `NoopTracer.start()`."""
