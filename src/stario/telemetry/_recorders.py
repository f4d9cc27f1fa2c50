"""The request recorders of the json and sqlite tracers: their per-request part.

A request span that neither the handler nor middleware touched reaches its tracer
as plain fields (see `BaseTracer.request_recorder`). The recorders here turn those
fields into what the tracer's writer thread takes, a JSON line or an SQLite row,
and queue it with `offer`, which `QueuedTracer` uses for every other span too.
They run once per request on the event loop, so they are part of
the optional compiled build (see "A compiled build" in docs/server.md), and the
tracers they feed stay plain classes that users can subclass.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeAlias, TypeVar, final

from ._ids import new_trace_id

__all__ = [
    "JsonRequestRecorder",
    "QueueOwner",
    "Recorder",
    "RequestKey",
    "SqliteRequestRecorder",
    "offer",
]

T = TypeVar("T")

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


def offer(tracer: QueueOwner, item: object, max_queue: int, batch_size: int) -> None:
    """Queue ``item`` for the writer of ``tracer`` (`QueuedTracer._enqueue`).

    PERF: the common path takes no lock. deque.append is atomic, and waking the
    writer for every span would hand the interpreter lock back and forth between
    the event loop and the writer thread on each request; the writer is woken only
    when work appears and when a full batch is ready. Everything else (the writer
    not started yet, the tracer closing, a full queue) goes through the lock.
    """
    queue = tracer._queue
    if not tracer._accepting or len(queue) >= max_queue:
        tracer._enqueue_slow(item)
        return
    queue.append(item)
    size = len(queue)
    if size == 1 or size == batch_size:
        tracer._wake()


class Recorder(Generic[T]):
    """What both recorders share: the tracer they feed (see `offer`) and what they remember."""

    def __init__(
        self, tracer: QueueOwner, remembered: dict[RequestKey, T], make: Callable[[RequestKey], T]
    ) -> None:
        self._tracer = tracer
        # By request key: a server answers the same few paths to the same few clients
        # over and over, so the parts of a span that depend only on those are kept.
        self._remembered = remembered
        self._make = make
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
        """Queue the request span with these fields (a `RequestRecorder`)."""
        raise NotImplementedError


@final
class JsonRequestRecorder(Recorder[str]):
    """Writes a request span's NDJSON line from its fields (`record`) and queues it.

    It remembers the end of the line, from the status on, by request key.
    """

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
        tail = self._remembered.get(key)
        if tail is None:
            tail = self._make(key)
        trace_id = new_trace_id()
        # The method comes from the parser, which lets only HTTP tokens through:
        # nothing in it needs escaping.
        line = (
            f'{{"trace_id":"{trace_id}","span_id":"{trace_id[:16]}","name":"{method}",'
            f'"start_ns":{start_ns},"end_ns":{end_ns},"duration_ns":{end_ns - start_ns}{tail}'
        )
        offer(self._tracer, line, self._max_queue, self._batch_size)


@final
class SqliteRequestRecorder(Recorder[tuple[str, str]]):
    """Builds a request span's row of the `spans` table from its fields (`record`), queues it.

    It remembers the stored path and attributes JSON by request key.
    """

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
        texts = self._remembered.get(key)
        if texts is None:
            texts = self._make(key)
        trace_id = new_trace_id()
        # The parameters of the tracer's request row: span_id, trace_id, start_ns,
        # end_ns, request_method (also the name), request_path,
        # response_status_code, attributes_json.
        row = (trace_id[:16], trace_id, start_ns, end_ns, method, texts[0], status, texts[1])
        offer(self._tracer, row, self._max_queue, self._batch_size)
