"""Tracing for stario: spans, the `Tracer` protocol and the built-in tracers.

Every request gets a span; handlers add attributes, events and child steps to it.
`NoopTracer` costs nothing, `MemoryTracer` keeps spans for tests, `JsonTracer`
writes NDJSON lines, `OtelTracer` exports to OpenTelemetry (needs the `otel`
extra; imported on first use so this package never requires it). Write your own
by subclassing `BaseTracer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .json import JsonTracer
from .memory import MemoryTracer
from .noop import NoopTracer
from .span import NOOP_SPAN, AttrValue, NoopSpan, Span, SpanEvent, SpanLink, format_traceback
from .sqlite import SqliteTracer
from .tracer import BaseTracer, RequestRecorder, Tracer, check_tracer, span_to_dict
from .tty import TtyTracer

if TYPE_CHECKING:
    from .otel import OtelTracer

__all__ = [
    "NOOP_SPAN",
    "AttrValue",
    "BaseTracer",
    "JsonTracer",
    "MemoryTracer",
    "NoopSpan",
    "NoopTracer",
    "OtelTracer",
    "RequestRecorder",
    "Span",
    "SpanEvent",
    "SpanLink",
    "SqliteTracer",
    "Tracer",
    "TtyTracer",
    "check_tracer",
    "format_traceback",
    "span_to_dict",
]


def __getattr__(name: str) -> Any:
    # Lazy: importing opentelemetry is slow and optional (the `otel` extra).
    if name == "OtelTracer":
        from .otel import OtelTracer

        return OtelTracer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
