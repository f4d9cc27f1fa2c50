"""A tracer that stores every finished span in an SQLite file, ready for SQL.

`export()` only queues the span; a daemon thread owns the one write connection and
inserts each batch in a single transaction. The file is in WAL mode, so the
`sqlite3` shell or a dashboard can read it while the server writes. A failed write
(database locked, disk full, I/O error) is counted in `telemetry_status`, retried
with backoff and finally dropped: the file is a diagnostic aid and never a reason
for a request to wait or the server to stop. The schema is in `_sqlite_schema`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, cast

from ._recorders import SqliteRequestRecorder
from ._sqlite_schema import SCHEMA_VERSION, TraceFileError, open_trace_db
from ._writer import QueuedTracer, int_setting, warn
from .json import RequestKey, remember, request_attributes, to_json
from .json import attributes_json as _attributes
from .span import Span
from .tracer import RequestRecorder

__all__ = ["SCHEMA_VERSION", "SqliteTracer", "TraceFileError"]

PATH_ENV = "STARIO_TRACES_SQLITE"
QUEUE_ENV = "STARIO_TRACES_SQLITE_QUEUE"
BATCH_ENV = "STARIO_TRACES_SQLITE_BATCH"
DEFAULT_PATH = "stario-traces.sqlite3"
DEFAULT_QUEUE = 10_000
# PERF: bigger transactions rewrite the hot B-tree pages (the right edge of every
# index) to the WAL less often: about 10 % less writer time per span than 512.
DEFAULT_BATCH = 2048

_INSERT_SPANS = """INSERT OR IGNORE INTO spans (span_id, trace_id, parent_id, depth, name,
    start_ns, end_ns, duration_ns, status, error, request_method, request_path,
    response_status_code, attributes_json) VALUES """
# Bits of a span row's shape: which of the columns that may be NULL are. PERF: a
# NULL goes into the statement as a literal, not as a bound None, which costs the
# sqlite3 module a failed adapter lookup, several times the price of binding a
# string (a child span has four NULL columns). Rows are inserted by shape.
_NULL_PARENT, _NULL_ERROR, _NULL_METHOD, _NULL_PATH, _NULL_CODE = 1, 2, 4, 8, 16
_NULLABLE_COLUMNS = {
    2: _NULL_PARENT,
    9: _NULL_ERROR,
    10: _NULL_METHOD,
    11: _NULL_PATH,
    12: _NULL_CODE,
}
# One VALUES row; {0}, {1} ... become the numbers of the row's parameters. A request
# span from the recorder, whose row is (span_id, trace_id, start_ns, end_ns, method,
# path, status code, attributes JSON): no parent, depth 0, status ok, no error,
# written as literals. PERF: the method (also the span's name) is bound once and
# the duration is computed here, not bound.
_REQUEST_VALUES = (
    "(?{0}, ?{1}, NULL, 0, ?{4}, ?{2}, ?{3}, ?{3} - ?{2}, 'ok', NULL, ?{4}, ?{5}, ?{6}, ?{7})"
)
_MAX_ROWS_PER_INSERT = 128
_INSERT_EVENT = """INSERT OR IGNORE INTO span_events (span_id, seq, time_ns, name,
    attributes_json, body) VALUES (?, ?, ?, ?, ?, ?)"""
_INSERT_LINK = """INSERT OR IGNORE INTO span_links (span_id, seq, linked_trace_id,
    linked_span_id, attributes_json) VALUES (?, ?, ?, ?, ?)"""
# Counters are totals for the file: several processes and runs add to them.
_ADD_STATUS = """INSERT INTO telemetry_status (key, value) VALUES (?, ?)
    ON CONFLICT (key) DO UPDATE SET value = coalesce(value, 0) + excluded.value"""
_SET_STATUS = "INSERT OR REPLACE INTO telemetry_status (key, value) VALUES (?, ?)"

# SQLite result codes (low byte) that mean "this path can never work": fail at startup.
_FATAL_CODES = frozenset(
    {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY}
)

# Connections inherited over fork(): never used or closed in the child, because
# closing the parent's connection here could disturb its locks and its WAL.
_inherited: list[sqlite3.Connection] = []


@dataclass(slots=True)
class _Rows:
    """One batch of spans, turned into parameter rows for the three tables."""

    spans: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)  # by shape
    requests: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[Any, ...]] = field(default_factory=list)


_Row = tuple[Any, ...]
_SpanRows = tuple[int, _Row, tuple[_Row, ...], tuple[_Row, ...]]
"""One span as parameter rows: the shape and values of its `spans` row (see
`_span_values`), its event rows and its link rows."""
_REQUEST_PARAMS = 8
"""The length of a request row from the recorder: the parameters of `_REQUEST_VALUES`."""
_Item = _SpanRows | _Row
"""What the queue holds: a span's rows, or a request row (told apart by length)."""


class SqliteTracer(QueuedTracer[_Item]):
    """Writes each ended span as rows of an SQLite file (WAL), on a writer thread.

    `path` defaults to `$STARIO_TRACES_SQLITE`, else `stario-traces.sqlite3` in the
    current directory; the file and its schema are created now, and a file that is
    not a stario trace file (or has a newer schema) raises `TraceFileError`.
    `max_queue` (env `STARIO_TRACES_SQLITE_QUEUE`, default 10000) bounds the spans
    waiting; `batch_size` (env `STARIO_TRACES_SQLITE_BATCH`, default 2048) bounds the
    spans per transaction. A failed transaction is retried after each of
    `retry_delays` seconds, then its spans are dropped. Counters: `spans_written`,
    `batches_written`, `dropped`, `writer_errors`, with `last_error` and
    `last_error_at_ns`; the file's `telemetry_status` table holds the same totals.
    """

    _kind = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_queue: int | None = None,
        batch_size: int | None = None,
        busy_timeout: float = 5.0,
        retry_delays: Iterable[float] = (0.1, 0.5, 2.0),
        close_timeout: float = 10.0,
    ) -> None:
        self.path = _resolve_path(path)
        self.busy_timeout = busy_timeout
        self.retry_delays = tuple(retry_delays)
        self._reset_counters()
        self._conn: sqlite3.Connection | None = None
        self._request_texts: dict[RequestKey, tuple[str, str]] = {}
        queue = int_setting("SqliteTracer", "max_queue", max_queue, QUEUE_ENV, DEFAULT_QUEUE)
        batch = int_setting("SqliteTracer", "batch_size", batch_size, BATCH_ENV, DEFAULT_BATCH)
        self._prepare_file()
        super().__init__(max_queue=queue, batch_size=batch, close_timeout=close_timeout)

    def _reset_counters(self) -> None:
        self.spans_written = 0
        self.batches_written = 0
        self.writer_errors = 0
        self.last_error: str | None = None
        self.last_error_at_ns: int | None = None
        self._saved_dropped = 0
        self._saved_errors = 0
        self._started_ns = time.time_ns()
        self._fresh = True  # the next transaction records pid and started_at_ns

    def _prepare_file(self) -> None:
        # Opened once here so a wrong path fails at startup with a clear message;
        # the writer thread opens its own connection later.
        try:
            open_trace_db(self.path, self.busy_timeout).close()
        except sqlite3.Error as exc:
            if exc.sqlite_errorcode & 0xFF in _FATAL_CODES:
                raise TraceFileError(
                    f"cannot open trace file {self.path}: {exc}",
                    help=f"set {PATH_ENV} to a writable file path",
                ) from None
            self._record_error(exc)  # locked or busy right now: the writer retries

    # --- on the event loop -----------------------------------------------------------

    def export(self, span: Span) -> None:
        """Queue the span for the writer thread, or drop and count it if full."""
        # PERF: rows are built here, on the event loop, so the queue holds tuples of
        # plain values, which the garbage collector soon stops tracking; queued Span
        # objects would make every collection walk them.
        try:
            rows = _span_rows(span)
        except Exception as exc:  # e.g. an attribute whose str() raises
            self._record_error(exc)
            self._count_dropped(1)
            return
        self._enqueue(rows)

    def request_recorder(self) -> RequestRecorder | None:
        """`SqliteRequestRecorder.record`, unless a subclass replaced `export` or `on_start`."""
        # PERF: it builds the row of a request span nobody touched from its fields,
        # without a Span object: the same row `export()` writes for that span. The
        # row alone is queued (no (row, events, links) wrapper); its length tells
        # the writer it is a request row.
        if not self._own_export(SqliteTracer):
            return None
        return SqliteRequestRecorder(self, self._request_texts, self._request_text).record

    def _request_text(self, key: RequestKey) -> tuple[str, str]:
        # PERF: the same few paths and clients over and over: the stored path and
        # attributes JSON are looked up, not built.
        path, attributes = key[0], request_attributes(key)
        texts = (
            path if path.isascii() else _text(path),
            attributes if attributes.isascii() else _text(attributes),
        )
        remember(self._request_texts, key, texts)
        return texts

    # --- on the writer thread ----------------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        """Open the writer's connection: WAL mode, schema ready. Runs on the writer thread.

        Override to set more pragmas; call `super().connect()` first.
        """
        return open_trace_db(self.path, self.busy_timeout)

    def _write_batch(self, batch: list[_Item]) -> None:
        rows = _Rows()
        for item in batch:
            if len(item) == _REQUEST_PARAMS:
                rows.requests.append(item)
                continue
            shape, span_row, events, links = cast(_SpanRows, item)
            shaped = rows.spans.get(shape)
            if shaped is None:
                rows.spans[shape] = [span_row]
            else:
                shaped.append(span_row)
            if events:
                rows.events.extend(events)
            if links:
                rows.links.extend(links)
        count = _span_count(rows)
        if count and not self._store(rows):
            self._count_dropped(count)

    def _writer_exit(self) -> None:
        if self.dropped != self._saved_dropped or self.writer_errors != self._saved_errors:
            self._store(_Rows())  # the final counters
        self._forget_connection()

    def _store(self, rows: _Rows) -> bool:
        """Write `rows` in one transaction, retrying after each of `retry_delays`."""
        for delay in (*self.retry_delays, None):
            try:
                with self._io_lock:
                    self._transaction(rows)
                return True
            except Exception as exc:  # sqlite3.Error, TraceFileError, MemoryError ...
                self._record_error(exc)
                self._forget_connection()  # reopen: a broken or read-only handle stays so
                if delay is None:
                    return False
                self._pause(delay)
        return False  # unreachable: the loop always returns

    def _transaction(self, rows: _Rows) -> None:
        if self._conn is None:
            self._conn = self.connect()
        conn = self._conn
        count = _span_count(rows)
        dropped, errors = self.dropped, self.writer_errors
        conn.execute("BEGIN IMMEDIATE")
        try:
            for shape, shaped in rows.spans.items():
                _insert(conn, _span_values(shape), shaped)
            _insert(conn, _REQUEST_VALUES, rows.requests)
            conn.executemany(_INSERT_EVENT, rows.events)
            conn.executemany(_INSERT_LINK, rows.links)
            self._write_status(conn, count, dropped, errors)
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        self._saved_dropped, self._saved_errors = dropped, errors
        self._fresh = False
        if count:
            self.spans_written += count
            self.batches_written += 1

    def _write_status(
        self, conn: sqlite3.Connection, spans: int, dropped: int, errors: int
    ) -> None:
        added = (
            ("spans_written", spans),
            ("batches_written", 1 if spans else 0),
            ("spans_dropped", dropped - self._saved_dropped),
            ("writer_errors", errors - self._saved_errors),
        )
        conn.executemany(_ADD_STATUS, [item for item in added if item[1]])
        values: list[tuple[str, object]] = []
        if errors != self._saved_errors:
            values += [("last_error", self.last_error), ("last_error_at_ns", self.last_error_at_ns)]
        if self._fresh:
            values += [("pid", os.getpid()), ("started_at_ns", self._started_ns)]
        conn.executemany(_SET_STATUS, values)

    def _record_error(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.last_error_at_ns = time.time_ns()
        self.writer_errors += 1

    def _forget_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Under the I/O lock: closing takes SQLite's own mutexes, which fork() must
            # not copy while they are held.
            with self._io_lock, contextlib.suppress(sqlite3.Error):
                conn.close()

    # --- lifecycle ---------------------------------------------------------------------

    def _report(self) -> None:
        if self.dropped:
            warn(
                f"stario: sqlite tracer dropped {self.dropped} spans "
                "(queue full or writes kept failing)"
            )
        if self.writer_errors:
            warn(
                f"stario: sqlite tracer had {self.writer_errors} write errors on {self.path}; "
                f"last: {self.last_error}"
            )

    def _after_fork(self) -> None:
        super()._after_fork()
        if self._conn is not None:
            _inherited.append(self._conn)
            self._conn = None
        self._reset_counters()


def _insert(conn: sqlite3.Connection, values: str, rows: list[_Row]) -> None:
    """Insert `rows` into `spans`, each filling the parameters of `values`."""
    # PERF: one INSERT with many VALUES rows costs about 40 % less per span than
    # executemany(), which steps, resets and releases the interpreter lock once
    # per row. Chunks are powers of two so only a few statements get prepared.
    if not rows:
        return
    width = len(rows[0])
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width
    most = min(_MAX_ROWS_PER_INSERT, 1 << (max(limit, 1).bit_length() - 1))
    done, total = 0, len(rows)
    while done < total:
        count = min(most, 1 << ((total - done).bit_length() - 1))
        chunk = rows[done : done + count]
        conn.execute(_insert_sql(values, width, count), list(chain.from_iterable(chunk)))
        done += count


@functools.cache
def _insert_sql(values: str, width: int, rows: int) -> str:
    """The INSERT statement for `rows` rows of `values`, each with `width` parameters."""
    numbered = (
        values.format(*range(row * width + 1, row * width + width + 1)) for row in range(rows)
    )
    return _INSERT_SPANS + ", ".join(numbered)


def _span_count(rows: _Rows) -> int:
    return sum(len(shaped) for shaped in rows.spans.values()) + len(rows.requests)


@functools.cache
def _span_values(shape: int) -> str:
    """The VALUES row of a span row of `shape`: NULL for its NULL columns."""
    parts: list[str] = []
    bound = 0
    for column in range(14):
        if shape & _NULLABLE_COLUMNS.get(column, 0):
            parts.append("NULL")
        else:
            parts.append(f"?{{{bound}}}")
            bound += 1
    return "(" + ", ".join(parts) + ")"


def _span_rows(span: Span) -> _SpanRows:
    attrs = span.attributes
    start_ns = span.start_ns
    end_ns = start_ns if span.end_ns is None else span.end_ns
    duration = end_ns - start_ns
    if not (
        _INT64_MIN <= start_ns <= _INT64_MAX
        and _INT64_MIN <= end_ns <= _INT64_MAX
        and _INT64_MIN <= duration <= _INT64_MAX
    ):
        raise OverflowError(f"span times {start_ns}, {end_ns} do not fit an SQLite INTEGER")
    method = attrs.get("request.method")
    path = attrs.get("request.path")
    code = attrs.get("response.status_code")
    name = span.name
    error = span.error
    attributes = _attributes(attrs)
    # The row holds the values of the columns that are not NULL, in column order;
    # `shape` says which are. PERF: nearly every string is ASCII: checking that
    # inline skips a call to _text() per column.
    shape = 0
    parent = span.parent_id
    if parent is None:
        shape = _NULL_PARENT
        row: list[object] = [span.span_id, span.trace_id]
    else:
        row = [span.span_id, span.trace_id, parent]
    row += (
        span._depth,
        name if name.isascii() else _text(name),
        start_ns,
        end_ns,
        duration,
        span.status,
    )
    if error is None:
        shape |= _NULL_ERROR
    else:
        row.append(_text(error))
    if isinstance(method, str):
        row.append(_text(method))
    else:
        shape |= _NULL_METHOD
    if isinstance(path, str):
        row.append(path if path.isascii() else _text(path))
    else:
        shape |= _NULL_PATH
    if type(code) is int and _INT64_MIN <= code <= _INT64_MAX:
        row.append(code)
    else:
        shape |= _NULL_CODE
    row.append(attributes if attributes.isascii() else _text(attributes))
    # PERF: most spans have neither events nor links; skip building empty tuples.
    if not span.events and not span.links:
        return shape, tuple(row), (), ()
    return shape, tuple(row), _event_rows(span), _link_rows(span)


def _event_rows(span: Span) -> tuple[_Row, ...]:
    return tuple(
        (
            span.span_id,
            seq,
            _int64(event.time_ns),
            _text(event.name),
            _text(to_json(event.attributes)),
            None if event.body is None else _text(event.body),
        )
        for seq, event in enumerate(span.events)
    )


def _link_rows(span: Span) -> tuple[_Row, ...]:
    return tuple(
        (span.span_id, seq, link.trace_id, link.span_id, _text(to_json(link.attributes)))
        for seq, link in enumerate(span.links)
    )


def _text(value: str) -> str:
    # Lone surrogates cannot be stored as UTF-8: keep them visible as \udcxx.
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _int64(value: int) -> int:
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise OverflowError(f"{value} does not fit an SQLite INTEGER")
    return value


def _resolve_path(path: str | os.PathLike[str] | None) -> str:
    if path is None:
        path = os.environ.get(PATH_ENV) or DEFAULT_PATH
    # Absolute now, so a later chdir() cannot move where traces go.
    return os.path.abspath(os.fspath(path))
