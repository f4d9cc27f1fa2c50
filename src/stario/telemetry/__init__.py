"""Tracing for stario: spans, the `Tracer` protocol and the built-in tracers.

Every request gets a span; handlers add attributes, events and child steps to it.
`NoopTracer` costs nothing, `MemoryTracer` keeps spans for tests, `JsonTracer`
writes NDJSON lines. Write your own by subclassing `BaseTracer`.
"""

from __future__ import annotations

from .json import JsonTracer
from .memory import MemoryTracer
from .noop import NoopTracer
from .span import NOOP_SPAN, AttrValue, NoopSpan, Span, SpanEvent, SpanLink, format_traceback
from .tracer import BaseTracer, Tracer, check_tracer, span_to_dict

__all__ = [
    "NOOP_SPAN",
    "AttrValue",
    "BaseTracer",
    "JsonTracer",
    "MemoryTracer",
    "NoopSpan",
    "NoopTracer",
    "Span",
    "SpanEvent",
    "SpanLink",
    "Tracer",
    "check_tracer",
    "format_traceback",
    "span_to_dict",
]
