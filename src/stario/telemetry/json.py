"""A tracer that writes one NDJSON line per finished span, off the event loop.

`export()` only appends the span to a bounded in-memory queue; a daemon thread
encodes queued spans, joins them into one buffer and does one write + flush per
batch. A full queue drops spans (counted in `dropped`) rather than slowing
requests down or growing memory without bound.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import sys
import threading
import weakref
from collections import deque
from typing import Any, Protocol, cast

from .span import Span
from .tracer import BaseTracer, span_to_dict

__all__ = ["ByteSink", "JsonTracer"]

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


class JsonTracer(BaseTracer):
    """Writes each ended span as one compact JSON line (see `span_to_dict`).

    `stream` defaults to standard output's binary buffer, looked up now.
    `max_queue` (env `STARIO_TRACES_JSON_QUEUE`, default 10000) bounds the spans
    waiting to be written; `batch_size` (env `STARIO_TRACES_JSON_BATCH`, default
    512) bounds the lines per write. Counters: `dropped` (queue full or tracer
    closed), `write_errors` (failed writes and spans that could not be encoded).
    `close()` writes everything queued, waiting at most `close_timeout` seconds.
    """

    def __init__(
        self,
        stream: ByteSink | None = None,
        *,
        max_queue: int | None = None,
        batch_size: int | None = None,
        close_timeout: float = 5.0,
    ) -> None:
        self.stream: ByteSink = _stdout_sink() if stream is None else stream
        self.max_queue = _setting("max_queue", max_queue, QUEUE_ENV, DEFAULT_QUEUE)
        self.batch_size = _setting("batch_size", batch_size, BATCH_ENV, DEFAULT_BATCH)
        self.close_timeout = close_timeout
        self.dropped = 0
        self.write_errors = 0
        self._closed = False
        self._init_queue()
        _track(self)

    def _init_queue(self) -> None:
        # RLock: close() from a signal handler that interrupted export() on the
        # same thread must not deadlock on the lock export() already holds.
        self._cond = threading.Condition(threading.RLock())
        self._queue: deque[Span] = deque()
        self._thread: threading.Thread | None = None
        # Held around each write so fork() never copies the stream's own buffer lock
        # in a locked state (the child would block forever on its first write).
        self._io_lock = threading.Lock()

    def export(self, span: Span) -> None:
        """Queue the span for the writer thread, or drop and count it if full."""
        with self._cond:
            if self._closed or len(self._queue) >= self.max_queue:
                self.dropped += 1
                return
            self._queue.append(span)
            if self._thread is None:
                self._start_writer()
            self._cond.notify()

    def close(self) -> None:
        """Write everything queued, stop the writer thread, report drops on stderr."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.close_timeout)
        with self._cond:
            # The writer is stuck on a blocked stream: what it never took is lost.
            self.dropped += len(self._queue)
            self._queue.clear()
        if self.dropped:
            _warn(f"stario: json tracer dropped {self.dropped} spans (queue full)")

    def _start_writer(self) -> None:
        # Started lazily so a tracer built before fork() gets its thread in the child.
        self._thread = threading.Thread(target=self._run, name="stario-json-tracer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._write(batch)

    def _next_batch(self) -> list[Span] | None:
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            count = min(len(self._queue), self.batch_size)
            return [self._queue.popleft() for _ in range(count)]

    def _write(self, batch: list[Span]) -> None:
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
        # The parent's lock may be held by a thread that does not exist here, and
        # the parent still owns (and will write) what was queued before the fork.
        self._init_queue()
        self.dropped = 0
        self.write_errors = 0


def encode_span(span: Span) -> bytes:
    """One NDJSON line (with its newline) for a span; odd values become strings."""
    record = span_to_dict(span)
    try:
        text = _dumps(record)
    except ValueError:  # NaN or infinity: not JSON, so spell them as strings.
        text = _dumps(_finite(record))
    # Lone surrogates become \\uXXXX escapes, which are still valid JSON.
    return (text + "\n").encode("utf-8", "backslashreplace")


def _dumps(record: object) -> str:
    return json.dumps(
        record, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _setting(name: str, given: int | None, env: str, default: int) -> int:
    if given is not None:
        if given < 1:
            raise ValueError(f"JsonTracer {name} must be >= 1, got {given}")
        return given
    raw = os.environ.get(env)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{env} must be an integer >= 1, got {raw!r}")
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


def _warn(line: str) -> None:
    try:
        if sys.stderr is not None:
            print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


_live: weakref.WeakSet[JsonTracer] = weakref.WeakSet()
_hooks_installed = False


def _track(tracer: JsonTracer) -> None:
    global _hooks_installed
    _live.add(tracer)
    if not _hooks_installed:
        _hooks_installed = True
        # A forgotten close() would otherwise lose the spans still queued at exit.
        atexit.register(_close_all)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(
                before=_hold_writes,
                after_in_parent=_release_writes,
                after_in_child=_reset_all_after_fork,
            )


def _close_all() -> None:
    for tracer in list(_live):
        tracer.close()


_held: list[threading.Lock] = []


def _hold_writes() -> None:
    # Wait for in-flight writes to finish; a stream stuck longer than the close
    # timeout is stuck in the child too, so do not let it block fork() forever.
    for tracer in list(_live):
        if tracer._io_lock.acquire(timeout=tracer.close_timeout):
            _held.append(tracer._io_lock)


def _release_writes() -> None:
    while _held:
        _held.pop().release()


def _reset_all_after_fork() -> None:
    _release_writes()
    for tracer in list(_live):
        tracer._after_fork()
