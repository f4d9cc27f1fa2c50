"""The SQLite trace file: its schema, its version and how a connection to it is opened.

The schema version lives in `PRAGMA user_version`. Opening a file creates the
schema when the file is new, migrates an older stario trace file forward, and
refuses a file written by a newer stario or by something else entirely.
"""

from __future__ import annotations

import contextlib
import sqlite3

from stario.errors import StarioError

__all__ = ["SCHEMA_VERSION", "TraceFileError", "open_trace_db"]

SCHEMA_VERSION = 3
"""The schema version this stario writes (`PRAGMA user_version`)."""

PAGE_SIZE = 16384
"""Bytes per database page of a new trace file."""

# _MIGRATIONS[n] takes a file from version n to n + 1; version 0 is an empty file.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    0: (
        """CREATE TABLE spans (
            span_id TEXT PRIMARY KEY,
            trace_id TEXT NOT NULL,
            parent_id TEXT,
            depth INTEGER NOT NULL,
            name TEXT NOT NULL,
            start_ns INTEGER NOT NULL,
            end_ns INTEGER NOT NULL,
            duration_ns INTEGER NOT NULL,
            status TEXT NOT NULL,
            error TEXT,
            request_method TEXT,
            request_path TEXT,
            response_status_code INTEGER,
            attributes_json TEXT NOT NULL
        )""",
        "CREATE INDEX spans_trace ON spans (trace_id)",
        "CREATE INDEX spans_status_start ON spans (status, start_ns)",
        "CREATE INDEX spans_start ON spans (start_ns)",
        "CREATE INDEX spans_route ON spans (request_method, request_path)",
        """CREATE TABLE span_events (
            span_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            time_ns INTEGER NOT NULL,
            name TEXT NOT NULL,
            attributes_json TEXT NOT NULL,
            body TEXT,
            PRIMARY KEY (span_id, seq)
        )""",
        "CREATE INDEX span_events_name_time ON span_events (name, time_ns)",
        """CREATE TABLE span_links (
            span_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            linked_trace_id TEXT NOT NULL,
            linked_span_id TEXT NOT NULL,
            attributes_json TEXT NOT NULL,
            PRIMARY KEY (span_id, seq)
        )""",
        "CREATE INDEX span_links_linked ON span_links (linked_span_id)",
        "CREATE TABLE telemetry_status (key TEXT PRIMARY KEY, value)",
        """INSERT INTO telemetry_status (key, value) VALUES
            ('spans_written', 0), ('batches_written', 0), ('spans_dropped', 0),
            ('writer_errors', 0), ('last_error', NULL), ('last_error_at_ns', NULL)""",
    ),
    # PERF: "recent errors" needs only the failed spans indexed. A partial index
    # costs nothing when an ok span is inserted, where (status, start_ns) was one
    # more B-tree to update for every span.
    1: (
        "DROP INDEX spans_status_start",
        "CREATE INDEX spans_errors ON spans (start_ns) WHERE status = 'error'",
    ),
    # PERF: an index on (request_method, request_path) cost the writer 6-17 % more
    # per span and did not pay for itself: per-route statistics over a time range
    # run about three times faster on spans_start (which the planner passed over
    # while the route index existed), and over the whole file a sort is about twice
    # the time of the index walk (160 ms instead of 75 ms for 400,000 spans).
    2: ("DROP INDEX spans_route",),
}


class TraceFileError(StarioError):
    """The trace file cannot be used: newer schema, not a stario file, not a database."""


def open_trace_db(path: str, busy_timeout: float) -> sqlite3.Connection:
    """Open `path` in WAL mode with the current schema; the caller closes it.

    Raises `TraceFileError` for a file this stario must not write to and
    `sqlite3.Error` for everything that may go away by itself (locks, I/O).
    """
    # isolation_level=None: transactions are explicit BEGIN/COMMIT, nothing implicit.
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        # PERF: 16 KiB pages (for a new file; an existing one keeps its size) cost
        # the writer 10-15 % less per span than 4 KiB: fewer page splits and fewer
        # B-tree pages rewritten per transaction. Set before WAL mode, which fixes
        # the page size.
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
        # WAL: readers (the sqlite3 shell, dashboards) never block the writer.
        conn.execute("PRAGMA journal_mode=WAL")
        # PERF: NORMAL is durable across application crashes in WAL mode and only
        # risks the last transactions on power loss, which traces can afford.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        _ensure_schema(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if exc.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise TraceFileError(
                f"trace file {path} is not an SQLite database",
                help="set STARIO_TRACES_SQLITE to a new file or an existing trace file",
            ) from None
        raise
    except BaseException:
        conn.close()
        raise
    return conn


def _ensure_schema(conn: sqlite3.Connection, path: str) -> None:
    version = _version(conn)
    if version == SCHEMA_VERSION:
        return
    _check_usable(conn, path, version)
    # IMMEDIATE: several worker processes opening a new file create it only once.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn)
        _check_usable(conn, path, version)
        for step in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute(
            "INSERT OR REPLACE INTO telemetry_status (key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _check_usable(conn: sqlite3.Connection, path: str, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise TraceFileError(
            f"trace file {path} has schema version {version}, newer than this stario "
            f"understands ({SCHEMA_VERSION})",
            help="upgrade stario, or set STARIO_TRACES_SQLITE to another file",
        )
    if version == 0:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
        if names:
            shown = ", ".join(sorted(names)[:5])
            raise TraceFileError(
                f"{path} is an SQLite database but not a stario trace file (it has {shown})",
                help="set STARIO_TRACES_SQLITE to a new file",
            )
