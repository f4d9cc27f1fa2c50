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
from typing import Any, Protocol, cast

from ._writer import QueuedTracer, int_setting
from .span import Span
from .tracer import span_to_dict

__all__ = ["ByteSink", "JsonTracer", "encode_span", "to_json"]

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


class JsonTracer(QueuedTracer[Span]):
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
        super().__init__(
            max_queue=int_setting("JsonTracer", "max_queue", max_queue, QUEUE_ENV, DEFAULT_QUEUE),
            batch_size=int_setting(
                "JsonTracer", "batch_size", batch_size, BATCH_ENV, DEFAULT_BATCH
            ),
            close_timeout=close_timeout,
        )

    def export(self, span: Span) -> None:
        """Queue the span for the writer thread, or drop and count it if full."""
        self._enqueue(span)

    def _write_batch(self, batch: list[Span]) -> None:
        lines = []
        for span in batch:
            try:
                lines.append(encode_span(span))
            except Exception:
                self.write_errors += 1
        if not lines:
            return
        with self._io_lock:
            try:
                self.stream.write(b"".join(lines))
                self.stream.flush()
            except Exception:  # BrokenPipeError, closed stream, full disk ...
                self.write_errors += 1

    def _after_fork(self) -> None:
        super()._after_fork()
        self.write_errors = 0


def encode_span(span: Span) -> bytes:
    """One NDJSON line (with its newline) for a span; odd values become strings."""
    # Lone surrogates become \\uXXXX escapes, which are still valid JSON.
    return (to_json(span_to_dict(span)) + "\n").encode("utf-8", "backslashreplace")


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
