"""The request recorders of the json and sqlite tracers: their per-request part.

A request span that neither the handler nor middleware touched reaches its tracer
as plain fields (see `BaseTracer.request_recorder`). The recorders here turn those
fields into what the tracer's writer thread takes, a JSON line or an SQLite row,
and queue it. They run once per request on the event loop, so they are part of
the optional compiled build (see "A compiled build" in docs/server.md), and the
tracers they feed stay plain classes that users can subclass.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, TypeAlias, final

from ._ids import new_trace_id

__all__ = ["JsonRequestRecorder", "QueueOwner", "RequestKey", "SqliteRequestRecorder"]

RequestKey: TypeAlias = tuple[str, str, int, str, str]
"""A request span's path, client address, status code, method and HTTP version."""


class QueueOwner(Protocol):
    """What a recorder needs of the tracer it feeds (a `QueuedTracer`)."""

    _accepting: bool
    _queue: deque[Any]
    max_queue: int
    batch_size: int

    def _enqueue_slow(self, item: Any) -> None: ...

    def _wake(self) -> None: ...


@final
class JsonRequestRecorder:
    """Writes a request span's NDJSON line from its fields (`record`) and queues it."""

    def __init__(
        self,
        tracer: QueueOwner,
        tails: dict[RequestKey, str],
        make_tail: Callable[[RequestKey], str],
    ) -> None:
        self._tracer = tracer
        # The end of the line, from the status on, by request key: a server answers
        # the same few paths to the same few clients over and over.
        self._tails = tails
        self._make_tail = make_tail
        self._max_queue = tracer.max_queue
        self._batch_size = tracer.batch_size

    def record(
        self,
        method: str,
        path: str,
        version: str,
        client: str,
        status: int,
        start_ns: int,
        end_ns: int,
    ) -> None:
        key = (path, client, status, method, version)
        tail = self._tails.get(key)
        if tail is None:
            tail = self._make_tail(key)
        trace_id = new_trace_id()
        # The method comes from the parser, which lets only HTTP tokens through:
        # nothing in it needs escaping.
        line = (
            f'{{"trace_id":"{trace_id}","span_id":"{trace_id[:16]}","name":"{method}",'
            f'"start_ns":{start_ns},"end_ns":{end_ns},"duration_ns":{end_ns - start_ns}{tail}'
        )
        # PERF: QueuedTracer._enqueue inlined (the same rules); this runs per request.
        tracer = self._tracer
        queue = tracer._queue
        if not tracer._accepting or len(queue) >= self._max_queue:
            tracer._enqueue_slow(line)
            return
        queue.append(line)
        size = len(queue)
        if size == 1 or size == self._batch_size:
            tracer._wake()


@final
class SqliteRequestRecorder:
    """Builds a request span's row of the `spans` table from its fields (`record`), queues it."""

    def __init__(
        self,
        tracer: QueueOwner,
        texts: dict[RequestKey, tuple[str, str]],
        make_texts: Callable[[RequestKey], tuple[str, str]],
    ) -> None:
        self._tracer = tracer
        # The stored path and attributes JSON by request key (see JsonRequestRecorder).
        self._texts = texts
        self._make_texts = make_texts
        self._max_queue = tracer.max_queue
        self._batch_size = tracer.batch_size

    def record(
        self,
        method: str,
        path: str,
        version: str,
        client: str,
        status: int,
        start_ns: int,
        end_ns: int,
    ) -> None:
        key = (path, client, status, method, version)
        texts = self._texts.get(key)
        if texts is None:
            texts = self._make_texts(key)
        trace_id = new_trace_id()
        # The parameters of the tracer's request row: span_id, trace_id, start_ns,
        # end_ns, request_method (also the name), request_path,
        # response_status_code, attributes_json.
        row = (trace_id[:16], trace_id, start_ns, end_ns, method, texts[0], status, texts[1])
        # PERF: QueuedTracer._enqueue inlined (the same rules); this runs per request.
        tracer = self._tracer
        queue = tracer._queue
        if not tracer._accepting or len(queue) >= self._max_queue:
            tracer._enqueue_slow(row)
            return
        queue.append(row)
        size = len(queue)
        if size == 1 or size == self._batch_size:
            tracer._wake()
