"""A tracer that exports stario spans to OpenTelemetry (OTLP by default).

Needs the `otel` extra (`pip install 'stario[otel]'`). Spans are recorded by stario
as usual; when one ends it is replayed into an OpenTelemetry SDK span with the same
trace id, span id, parent, times, attributes, events, links and status, and handed
to the SDK's span processor. The default exporter is the OTLP/HTTP one, configured
by the standard `OTEL_EXPORTER_OTLP_*` variables; `OTEL_SERVICE_NAME`,
`OTEL_RESOURCE_ATTRIBUTES` and `OTEL_TRACES_SAMPLER` are honoured too.

Why replay through `Tracer.start_span` with a custom id generator rather than
building `ReadableSpan` objects by hand: the replay uses only the SDK's public,
stable API (whereas `ReadableSpan`'s constructor has changed between releases), so
span limits, attribute cleaning, the configured sampler and every span processor
(`on_start` and `on_end`) behave exactly as for native spans. The ids the SDK asks
for are handed out per thread, so no lock is needed and `export` may run on any
thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .span import AttrValue, Span, SpanEvent, SpanLink
from .tracer import BaseTracer

try:
    from opentelemetry import trace as otel_trace
    from opentelemetry.context import Context
    from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
    from opentelemetry.sdk.trace.sampling import Decision
    from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
except ImportError:  # the extra is missing: OtelTracer() explains how to install it
    _AVAILABLE = False
else:
    _AVAILABLE = True

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.util.types import AttributeValue

__all__ = ["MISSING_MESSAGE", "OtelTracer"]

MISSING_MESSAGE = "the otel tracer needs the opentelemetry packages: pip install 'stario[otel]'"
"""The `RuntimeError` message when the `otel` extra is not installed."""

_DEFAULT_SERVICE_NAME = "stario"
_PRIMITIVES = (bool, int, float, str)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class OtelTracer(BaseTracer):
    """Exports every ended span through an OpenTelemetry SDK `TracerProvider`.

    `exporter` defaults to `OTLPSpanExporter()` (OTLP over HTTP/protobuf, configured
    by `OTEL_EXPORTER_OTLP_ENDPOINT`, `..._TRACES_ENDPOINT`, `..._HEADERS`,
    `..._TIMEOUT` ...). The resource's `service.name` is `service_name`, else
    `service.name` in `resource_attributes`, else `OTEL_SERVICE_NAME`, else
    `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else "stario"; the rest of
    `resource_attributes` and `OTEL_RESOURCE_ATTRIBUTES` is added to it.
    `batch=True` exports from a background thread (`BatchSpanProcessor`);
    `batch=False` exports each span synchronously as it ends, meant for tests.
    `close()` flushes for at most `close_timeout` seconds. Raises `RuntimeError`
    when the opentelemetry packages are not installed.
    """

    def __init__(
        self,
        *,
        exporter: SpanExporter | None = None,
        service_name: str | None = None,
        resource_attributes: Mapping[str, AttrValue] | None = None,
        batch: bool = True,
        close_timeout: float = 5.0,
    ) -> None:
        if not _AVAILABLE:
            raise RuntimeError(MISSING_MESSAGE)
        if exporter is None:
            exporter = _default_exporter()
        from stario import __version__

        self.close_timeout = close_timeout
        self._ids = _StarioIds()
        processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
        self.provider = TracerProvider(
            resource=_resource(service_name, resource_attributes), id_generator=self._ids
        )
        self.provider.add_span_processor(processor)
        self._tracer = self.provider.get_tracer("stario", __version__)
        self._lock = threading.Lock()
        self._closed = False

    def export(self, span: Span) -> None:
        """Replay the ended span into the SDK (ids, parent, times and status kept)."""
        if self._closed:
            return
        trace_id = int(span.trace_id, 16)
        kind = SpanKind.SERVER if "request.method" in span.attributes else SpanKind.INTERNAL
        with self._ids.next(trace_id, int(span.span_id, 16)):
            otel_span = self._tracer.start_span(
                span.name,
                context=self._parent(trace_id, span.parent_id),
                kind=kind,
                attributes=_attributes(span.attributes),
                links=[self._link(link) for link in span.links],
                start_time=span.start_ns,
            )
        for event in span.events:
            otel_span.add_event(event.name, _event_attributes(event), timestamp=event.time_ns)
        if span.status == "error":
            # "ok" stays UNSET: OpenTelemetry reserves OK for an explicit override.
            otel_span.set_status(Status(StatusCode.ERROR, span.error))
        otel_span.end(end_time=span.end_ns)

    def close(self) -> None:
        """Flush pending spans (at most `close_timeout` seconds), then shut the SDK down."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.provider.force_flush(int(self.close_timeout * 1000))
        self.provider.shutdown()

    def _parent(self, trace_id: int, parent_id: str | None) -> Context:
        # Always an explicit context: an OpenTelemetry span that happens to be
        # current on this thread must never become the parent of a stario span.
        if parent_id is None:
            return Context()
        parent = SpanContext(
            trace_id, int(parent_id, 16), is_remote=False, trace_flags=self._flags(trace_id)
        )
        return otel_trace.set_span_in_context(otel_trace.NonRecordingSpan(parent), Context())

    def _flags(self, trace_id: int) -> TraceFlags:
        # Children end (and are exported) before their parents, so the parent's
        # sampling decision is not known yet: ask the sampler what it decides for
        # a root span of this trace. Trace-id based samplers answer the same for
        # every span of a trace, so a trace is kept or dropped as a whole.
        result = self.provider.sampler.should_sample(Context(), trace_id, "")
        flags = _RANDOM_TRACE_ID
        if result.decision is Decision.RECORD_AND_SAMPLE:
            flags |= TraceFlags.SAMPLED
        return TraceFlags(flags)

    def _link(self, link: SpanLink) -> Link:
        context = SpanContext(int(link.trace_id, 16), int(link.span_id, 16), is_remote=False)
        return Link(context, _attributes(link.attributes))


# Defined only with the SDK present: the base class comes from it.
if _AVAILABLE:

    class _StarioIds(IdGenerator):  # type: ignore[misc,unused-ignore]
        """Hands the SDK the ids of the stario span being replayed on this thread.

        Outside a replay (nothing pending) it falls back to random ids, so the
        provider stays usable for spans started directly on it.
        """

        def __init__(self) -> None:
            self._pending = threading.local()
            self._random = RandomIdGenerator()

        @contextmanager
        def next(self, trace_id: int, span_id: int) -> Iterator[None]:
            """Make `trace_id`/`span_id` the ids handed out on this thread inside the block."""
            self._pending.ids = (trace_id, span_id)
            try:
                yield
            finally:
                self._pending.ids = None

        def generate_trace_id(self) -> int:
            """The pending trace id, or a random one."""
            ids: tuple[int, int] | None = getattr(self._pending, "ids", None)
            return self._random.generate_trace_id() if ids is None else ids[0]

        def generate_span_id(self) -> int:
            """The pending span id, or a random one."""
            ids: tuple[int, int] | None = getattr(self._pending, "ids", None)
            return self._random.generate_span_id() if ids is None else ids[1]

        def is_trace_id_random(self) -> bool:
            """True: the right-most 64 bits of a stario trace id are random.

            W3C trace context asks for at least the right-most 7 bytes; the left half
            is the root span's id (see `stario.telemetry.span`).
            """
            return True


def _attributes(attributes: Mapping[str, AttrValue]) -> dict[str, AttributeValue]:
    """Stario attributes as OpenTelemetry ones: None dropped, sequences as tuples.

    A sequence of one primitive type is kept as a tuple; a mixed one (which the
    OpenTelemetry data model does not allow) becomes a tuple of strings. Integers
    outside int64 and values of any other type become their `str()`.
    """
    out: dict[str, AttributeValue] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        if isinstance(value, _PRIMITIVES):
            out[key] = value if _fits(value) else str(value)
        elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
            out[key] = _sequence(value)
        else:
            out[key] = str(value)
    return out


def _sequence(values: Sequence[Any]) -> tuple[Any, ...]:
    kinds = {type(v) for v in values}
    if len(kinds) == 1 and next(iter(kinds)) in _PRIMITIVES and all(map(_fits, values)):
        return tuple(values)
    return tuple(str(v) for v in values)


def _fits(value: object) -> bool:
    # OTLP carries integers as int64; one larger value would fail the whole batch.
    if isinstance(value, int) and not isinstance(value, bool):
        return _INT64_MIN <= value <= _INT64_MAX
    return True


def _event_attributes(event: SpanEvent) -> dict[str, AttributeValue]:
    attributes = _attributes(event.attributes)
    if event.body is not None:
        # OpenTelemetry semantic conventions: a traceback is `exception.stacktrace`.
        key = "exception.stacktrace" if event.name == "exception" else "event.body"
        attributes[key] = event.body
    return attributes


def _resource(name: str | None, extra: Mapping[str, AttrValue] | None) -> Resource:
    # Precedence: the argument, `service.name` in `extra`, OTEL_SERVICE_NAME,
    # `service.name` in OTEL_RESOURCE_ATTRIBUTES, then "stario" (not the SDK's
    # "unknown_service").
    attributes: dict[str, Any] = _attributes(extra or {})
    candidates = (
        name,
        attributes.get(SERVICE_NAME),
        OTELResourceDetector().detect().attributes.get(SERVICE_NAME),
    )
    attributes[SERVICE_NAME] = next((str(c) for c in candidates if c), _DEFAULT_SERVICE_NAME)
    return Resource.create(attributes)


def _default_exporter() -> SpanExporter:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        raise RuntimeError(MISSING_MESSAGE) from None
    exporter: SpanExporter = OTLPSpanExporter()
    return exporter


# W3C Trace Context level 2 flag (newer SDKs only): the trace id is random.
_RANDOM_TRACE_ID: int = int(getattr(TraceFlags, "RANDOM_TRACE_ID", 0)) if _AVAILABLE else 0
