"""A tracer that writes one NDJSON line per finished span, off the event loop.

`export()` only appends the span to a bounded in-memory queue; a daemon thread
encodes queued spans, joins them into one buffer and does one write + flush per
batch. A full queue drops spans (counted in `dropped`) rather than slowing
requests down or growing memory without bound.
"""

from __future__ import annotations

import json
import math
import sys
from json.encoder import encode_basestring as _string
from typing import Any, Protocol, TypeVar, cast

from ._recorders import JsonRequestRecorder, RequestKey
from ._writer import QueuedTracer, int_setting
from .span import AttrValue, Span
from .tracer import RequestRecorder, span_to_dict

__all__ = [
    "ByteSink",
    "JsonTracer",
    "RequestKey",
    "attributes_json",
    "encode_span",
    "remember",
    "request_attributes",
    "span_line",
    "to_json",
]

T = TypeVar("T")

QUEUE_ENV = "STARIO_TRACES_JSON_QUEUE"
BATCH_ENV = "STARIO_TRACES_JSON_BATCH"
DEFAULT_QUEUE = 10_000
DEFAULT_BATCH = 512


class ByteSink(Protocol):
    """Where `JsonTracer` writes: anything with `write(bytes)` and `flush()`."""

    def write(self, data: bytes, /) -> object:
        """Write all of `data`."""
        ...

    def flush(self) -> object:
        """Push buffered bytes to their destination."""
        ...


class JsonTracer(QueuedTracer[str]):
    """Writes each ended span as one compact JSON line (see `span_to_dict`).

    `stream` defaults to standard output's binary buffer, looked up now.
    `max_queue` (env `STARIO_TRACES_JSON_QUEUE`, default 10000) bounds the spans
    waiting to be written; `batch_size` (env `STARIO_TRACES_JSON_BATCH`, default
    512) bounds the lines per write. Counters: `dropped` (queue full or tracer
    closed), `write_errors` (failed writes and spans that could not be encoded).
    `close()` writes everything queued, waiting at most `close_timeout` seconds.
    """

    _kind = "json"

    def __init__(
        self,
        stream: ByteSink | None = None,
        *,
        max_queue: int | None = None,
        batch_size: int | None = None,
        close_timeout: float = 5.0,
    ) -> None:
        self.stream: ByteSink = _stdout_sink() if stream is None else stream
        self.write_errors = 0
        self._request_tails: dict[RequestKey, str] = {}
        super().__init__(
            max_queue=int_setting("JsonTracer", "max_queue", max_queue, QUEUE_ENV, DEFAULT_QUEUE),
            batch_size=int_setting(
                "JsonTracer", "batch_size", batch_size, BATCH_ENV, DEFAULT_BATCH
            ),
            close_timeout=close_timeout,
        )

    def export(self, span: Span) -> None:
        """Encode the span and queue its line for the writer thread (dropped if full)."""
        # PERF: the line is encoded here, on the event loop, so the queue holds plain
        # strings: queued Span objects would make every garbage collection walk them,
        # which costs more than the encoding itself.
        try:
            line = span_line(span)
        except Exception:
            self.write_errors += 1
            return
        self._enqueue(line)

    def request_recorder(self) -> RequestRecorder | None:
        """`JsonRequestRecorder.record`, unless a subclass replaced `export` or `on_start`."""
        # PERF: it writes the line of a request span nobody touched from its fields,
        # without a Span object: a third of the cost of start(), attrs(), end() and
        # span_line(), and the same text as span_line() gives for that span.
        if not self._own_export(JsonTracer):
            return None
        return JsonRequestRecorder(self, self._request_tails, self._request_tail).record

    def _request_tail(self, key: RequestKey) -> str:
        # PERF: a server answers the same few paths to the same few clients over and
        # over: the end of the line, from the status on, is looked up, not built.
        tail = (
            f',"status":"ok","error":null,"attributes":{request_attributes(key)},'
            '"events":[],"links":[]}\n'
        )
        remember(self._request_tails, key, tail)
        return tail

    def _write_batch(self, batch: list[str]) -> None:
        # Lone surrogates become \\uXXXX escapes, which are still valid JSON.
        data = "".join(batch).encode("utf-8", "backslashreplace")
        with self._io_lock:
            try:
                self.stream.write(data)
                self.stream.flush()
            except Exception:  # BrokenPipeError, closed stream, full disk ...
                self.write_errors += 1

    def _after_fork(self) -> None:
        super()._after_fork()
        self.write_errors = 0


_MAX_REMEMBERED = 1024


def request_attributes(key: RequestKey) -> str:
    """The attributes JSON of a request span recorded from its fields."""
    path, client, status, method, version = key
    # The method and version come from the parser, which only lets through HTTP
    # tokens and digits: nothing in them needs escaping.
    return (
        f'{{"request.method":"{method}","request.path":{_string(path)},'
        f'"http.version":"{version}","client.address":{_string(client)},'
        f'"response.status_code":{status}}}'
    )


def remember(cache: dict[RequestKey, T], key: RequestKey, value: T) -> None:
    """Keep ``value`` for ``key``; a full cache starts over (it holds recent requests)."""
    if len(cache) >= _MAX_REMEMBERED:
        cache.clear()
    cache[key] = value


def encode_span(span: Span) -> bytes:
    """One NDJSON line (with its newline) for a span; odd values become strings."""
    # Lone surrogates become \\uXXXX escapes, which are still valid JSON.
    return span_line(span).encode("utf-8", "backslashreplace")


def span_line(span: Span) -> str:
    """The NDJSON line (with its newline) of `encode_span`, as text."""
    if span.events or span.links:
        return to_json(span_to_dict(span)) + "\n"
    # PERF: the common span (attributes only) is written field by field: several
    # times cheaper than building the record dict and encoding it generically.
    parent = "" if span.parent_id is None else f',"parent_id":"{span.parent_id}"'
    end_ns = span.end_ns
    if end_ns is None:
        times = 'null,"duration_ns":null'
    else:
        times = f'{end_ns},"duration_ns":{end_ns - span.start_ns}'
    error = "null" if span.error is None else _string(span.error)
    return (
        f'{{"trace_id":"{span.trace_id}","span_id":"{span.span_id}"{parent},'
        f'"name":{_string(span.name)},"start_ns":{span.start_ns},"end_ns":{times},'
        f'"status":"{span.status}","error":{error},'
        f'"attributes":{attributes_json(span.attributes)},"events":[],"links":[]}}\n'
    )


def attributes_json(attributes: dict[str, AttrValue]) -> str:
    """Compact JSON for an attribute dict, as `to_json` would write it (only faster)."""
    if not attributes:
        return "{}"
    parts = []
    for key, value in attributes.items():
        if type(value) is str:
            text = _string(value)
        elif type(value) is int:
            text = str(value)
        elif type(value) is bool:
            text = "true" if value else "false"
        elif value is None:
            text = "null"
        else:  # floats, sequences and subclasses take the careful path
            text = to_json(value)
        parts.append(f"{_string(key) if type(key) is str else _string(str(key))}:{text}")
    return "{" + ",".join(parts) + "}"


def to_json(value: object) -> str:
    """Compact JSON text; NaN and infinities become strings, other odd values `str()`."""
    try:
        return _dumps(value)
    except ValueError:  # NaN or infinity: not JSON, so spell them as strings.
        return _dumps(_finite(value))


# PERF: json.dumps with non-default options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str)


def _dumps(record: object) -> str:
    return _ENCODER.encode(record)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class _TextSink:
    """Adapts a text stream without a binary buffer (e.g. a replaced sys.stdout)."""

    __slots__ = ("_text",)

    def __init__(self, text: Any) -> None:
        self._text = text

    def write(self, data: bytes, /) -> object:
        return self._text.write(data.decode("utf-8", "replace"))

    def flush(self) -> object:
        return self._text.flush()


def _stdout_sink() -> ByteSink:
    out = sys.stdout
    if out is None:
        raise ValueError("JsonTracer needs a stream: sys.stdout is None")
    buffer = getattr(out, "buffer", None)
    return _TextSink(out) if buffer is None else cast(ByteSink, buffer)
