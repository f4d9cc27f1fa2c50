from __future__ import annotations

import json
import math
import os
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stario.errors import StarioError
from stario.telemetry import SqliteTracer
from stario.telemetry._sqlite_schema import _MIGRATIONS
from stario.telemetry.sqlite import SCHEMA_VERSION, TraceFileError

WAIT = 10.0  # generous upper bound for thread hand-offs; never reached when passing

SPAN_COLUMNS = [
    "span_id",
    "trace_id",
    "parent_id",
    "depth",
    "name",
    "start_ns",
    "end_ns",
    "duration_ns",
    "status",
    "error",
    "request_method",
    "request_path",
    "response_status_code",
    "attributes_json",
]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "traces.sqlite3"


def read(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def status(path: Path) -> dict[str, Any]:
    return {row["key"]: row["value"] for row in read(path, "SELECT * FROM telemetry_status")}


def names(path: Path) -> list[str]:
    return [row["name"] for row in read(path, "SELECT name FROM spans ORDER BY start_ns, rowid")]


class Lock:
    """Another connection holding the write lock of the trace file until `release()`."""

    def __init__(self, path: Path) -> None:
        # The writer thread may release it (see ReleasingTracer).
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.conn.close()


def test_creates_schema_in_wal_mode_with_version(path: Path) -> None:
    SqliteTracer(path).close()
    assert path.exists()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA page_size").fetchone() == (16384,)
        columns = [row[1] for row in conn.execute("PRAGMA table_info(spans)")]
        indexed = {
            tuple(col[2] for col in conn.execute(f"PRAGMA index_info({index[1]})"))
            for index in conn.execute("PRAGMA index_list(spans)")
        }
        errors_index = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE name = 'spans_errors'"
        ).fetchall()
        event_columns = [row[1] for row in conn.execute("PRAGMA table_info(span_events)")]
        link_columns = [row[1] for row in conn.execute("PRAGMA table_info(span_links)")]
    finally:
        conn.close()
    assert columns == SPAN_COLUMNS
    # Trace lookup, time ranges, the primary key and recent errors: nothing more to
    # update per span.
    assert indexed == {("span_id",), ("trace_id",), ("start_ns",)}
    assert errors_index == [
        ("spans_errors", "CREATE INDEX spans_errors ON spans (start_ns) WHERE status = 'error'")
    ]
    assert event_columns == ["span_id", "seq", "time_ns", "name", "attributes_json", "body"]
    assert link_columns == [
        "span_id",
        "seq",
        "linked_trace_id",
        "linked_span_id",
        "attributes_json",
    ]
    assert status(path) == {
        "spans_written": 0,
        "batches_written": 0,
        "spans_dropped": 0,
        "writer_errors": 0,
        "last_error": None,
        "last_error_at_ns": None,
        "schema_version": SCHEMA_VERSION,
    }


def test_span_tree_is_stored_with_depths_events_and_links(path: Path) -> None:
    tracer = SqliteTracer(path)
    startup = tracer.start("server.startup")
    startup.end()
    request = {"request.method": "POST", "request.path": "/pay", "client.address": "1.2.3.4"}
    with tracer.start("POST", attributes=request, links=[startup]) as root:
        with root.step("db", {"db.rows": 2}) as db:
            db.event("query", {"table": "orders"}, body="SELECT * FROM orders")
            with db.step("decode"):
                pass
        root.attr("response.status_code", 502)
        root.fail("upstream down")
    tracer.close()

    rows = {row["name"]: row for row in read(path, "SELECT * FROM spans")}
    post, db_row, decode = rows["POST"], rows["db"], rows["decode"]
    assert (post["depth"], db_row["depth"], decode["depth"]) == (0, 1, 2)
    assert post["parent_id"] is None
    assert db_row["parent_id"] == post["span_id"] == root.span_id
    assert decode["parent_id"] == db_row["span_id"]
    assert {row["trace_id"] for row in (post, db_row, decode)} == {root.trace_id}
    assert (post["request_method"], post["request_path"]) == ("POST", "/pay")
    assert post["response_status_code"] == 502
    assert (post["status"], post["error"]) == ("error", "upstream down")
    assert post["duration_ns"] == post["end_ns"] - post["start_ns"] >= 0
    assert json.loads(post["attributes_json"]) == {**request, "response.status_code": 502}
    assert (db_row["request_method"], db_row["response_status_code"]) == (None, None)
    assert (db_row["status"], db_row["error"]) == ("ok", None)

    (event,) = read(path, "SELECT * FROM span_events")
    assert (event["span_id"], event["seq"], event["name"]) == (db.span_id, 0, "query")
    assert event["body"] == "SELECT * FROM orders"
    assert json.loads(event["attributes_json"]) == {"table": "orders"}
    (link,) = read(path, "SELECT * FROM span_links")
    assert (link["span_id"], link["seq"]) == (root.span_id, 0)
    assert (link["linked_trace_id"], link["linked_span_id"]) == (startup.trace_id, startup.span_id)
    assert status(path)["spans_written"] == tracer.spans_written == 4


def test_child_started_after_its_parent_ended_gets_the_right_depth(path: Path) -> None:
    tracer = SqliteTracer(path)
    root = tracer.start("root")
    child = root.step("child")
    child.end()
    late = child.step("late")  # e.g. background work that outlives its request
    late.end()
    root.end()
    tracer.close()
    depths = {row["name"]: row["depth"] for row in read(path, "SELECT name, depth FROM spans")}
    assert depths == {"root": 0, "child": 1, "late": 2}


def test_writes_happen_on_a_background_thread(path: Path) -> None:
    threads: list[threading.Thread] = []

    class Watching(SqliteTracer):
        def connect(self) -> sqlite3.Connection:
            threads.append(threading.current_thread())
            return super().connect()

    tracer = Watching(path)
    tracer.start("a").end()
    tracer.close()
    assert threads
    assert threading.current_thread() not in threads
    assert names(path) == ["a"]


def test_batches_everything_queued_into_one_transaction(path: Path) -> None:
    tracer = SqliteTracer(path, busy_timeout=WAIT)
    with Lock(path) as lock:
        for i in range(100):  # the writer takes what is queued, then waits for the lock
            tracer.start(f"s{i}").end()
        lock.release()
        assert tracer.flush(WAIT)
    tracer.close()
    assert names(path) == [f"s{i}" for i in range(100)]
    # The first batch holds whatever was queued when the writer woke up; the rest,
    # queued while it waited for the lock, go in one more transaction.
    assert 1 <= tracer.batches_written <= 2
    assert status(path)["batches_written"] == tracer.batches_written


@pytest.mark.parametrize("batch_size", [1, 7])
def test_batch_size_bounds_spans_per_transaction(path: Path, batch_size: int) -> None:
    tracer = SqliteTracer(path, busy_timeout=WAIT, batch_size=batch_size)
    with Lock(path) as lock:
        for i in range(20):
            tracer.start(f"s{i}").end()
        lock.release()
        tracer.close()
    assert names(path) == [f"s{i}" for i in range(20)]
    assert tracer.batches_written >= -(-20 // batch_size)


def test_full_queue_drops_counts_and_reports(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracer = SqliteTracer(path, busy_timeout=WAIT, max_queue=2, batch_size=1)
    with Lock(path) as lock:
        for i in range(6):
            tracer.start(f"s{i}").end()
        # Blocked, the writer holds at most one span (a batch), the queue two more.
        assert tracer.dropped in (3, 4)
        lock.release()
        tracer.close()
    kept = names(path)
    assert kept[:2] == ["s0", "s1"]  # they always fit
    assert kept == sorted(kept)
    assert len(kept) + tracer.dropped == 6
    assert status(path)["spans_dropped"] == tracer.dropped
    err = capsys.readouterr().err
    assert f"stario: sqlite tracer dropped {tracer.dropped} spans" in err


def test_locked_file_errors_are_counted_retried_then_dropped(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracer = SqliteTracer(path, busy_timeout=0, retry_delays=(0, 0))
    with Lock(path) as lock:
        tracer.start("lost").end()
        assert tracer.flush(WAIT)
        assert tracer.writer_errors == 3  # the first attempt and two retries
        assert tracer.dropped == 1
        assert tracer.last_error == "OperationalError: database is locked"
        lock.release()
        tracer.start("kept").end()  # the server goes on; so does the tracer
        tracer.close()
    assert names(path) == ["kept"]
    saved = status(path)
    assert (saved["writer_errors"], saved["spans_dropped"]) == (3, 1)
    assert saved["last_error"] == "OperationalError: database is locked"
    assert saved["last_error_at_ns"] == tracer.last_error_at_ns
    err = capsys.readouterr().err
    assert "stario: sqlite tracer dropped 1 spans" in err
    assert "3 write errors" in err
    assert "database is locked" in err


def test_a_retry_succeeds_once_the_lock_is_gone(path: Path) -> None:
    locks: list[Lock] = []

    class ReleasingTracer(SqliteTracer):
        def connect(self) -> sqlite3.Connection:
            if self.writer_errors:  # the first attempt failed: let the retry through
                locks[0].release()
            return super().connect()

    tracer = ReleasingTracer(path, busy_timeout=0, retry_delays=(0,))
    with Lock(path) as lock:
        locks.append(lock)
        tracer.start("late but kept").end()
        tracer.close()
    assert names(path) == ["late but kept"]
    assert (tracer.writer_errors, tracer.dropped) == (1, 0)
    saved = status(path)
    assert (saved["writer_errors"], saved["spans_dropped"], saved["spans_written"]) == (1, 0, 1)
    assert saved["last_error"] == "OperationalError: database is locked"


def test_a_file_locked_at_startup_does_not_stop_the_server(path: Path) -> None:
    with Lock(path) as lock:  # creates an empty database and holds it
        tracer = SqliteTracer(path, busy_timeout=0)
        assert tracer.writer_errors == 1
        lock.release()
    tracer.start("first").end()
    tracer.close()
    assert names(path) == ["first"]
    assert status(path)["writer_errors"] == 1


def test_close_flushes_everything_and_is_idempotent(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracer = SqliteTracer(path, batch_size=64)
    for i in range(2000):
        tracer.start("s", attributes={"i": i}).end()
    tracer.close()
    tracer.close()
    rows = read(path, "SELECT attributes_json FROM spans")
    assert sorted(json.loads(row["attributes_json"])["i"] for row in rows) == list(range(2000))
    assert (tracer.dropped, tracer.writer_errors, tracer.spans_written) == (0, 0, 2000)
    assert status(path)["spans_written"] == 2000
    assert capsys.readouterr().err == ""
    assert not Path(f"{path}-wal").exists()  # the last connection closed cleanly
    tracer.start("late").end()
    assert tracer.dropped == 1  # closed: dropped, not written


def test_readers_never_block_the_writer(path: Path) -> None:
    tracer = SqliteTracer(path, busy_timeout=0, retry_delays=())
    tracer.start("before").end()
    assert tracer.flush(WAIT)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM spans").fetchone() == (1,)
        for i in range(10):  # written while the reader holds its snapshot
            tracer.start(f"s{i}").end()
        assert tracer.flush(WAIT)
        assert (tracer.writer_errors, tracer.dropped) == (0, 0)
        assert reader.execute("SELECT count(*) FROM spans").fetchone() == (1,)
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM spans").fetchone() == (11,)
    finally:
        reader.close()
    tracer.close()


def test_reopening_a_file_adds_to_its_totals(path: Path) -> None:
    for run in range(3):
        tracer = SqliteTracer(path)
        tracer.start(f"run{run}").end()
        tracer.close()
    assert names(path) == ["run0", "run1", "run2"]
    saved = status(path)
    assert (saved["spans_written"], saved["batches_written"]) == (3, 3)
    assert saved["pid"] == os.getpid()


def test_path_from_argument_env_or_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STARIO_TRACES_SQLITE", raising=False)
    tracer = SqliteTracer()
    tracer.close()
    assert tracer.path == str(tmp_path / "stario-traces.sqlite3")
    assert (tmp_path / "stario-traces.sqlite3").exists()

    monkeypatch.setenv("STARIO_TRACES_SQLITE", "from-env.db")
    tracer = SqliteTracer()
    monkeypatch.chdir(tmp_path.parent)  # resolved when built, not when written
    tracer.start("s").end()
    tracer.close()
    assert tracer.path == str(tmp_path / "from-env.db")
    assert names(tmp_path / "from-env.db") == ["s"]

    SqliteTracer(tmp_path / "explicit.db").close()
    assert (tmp_path / "explicit.db").exists()


def test_a_version_1_file_is_migrated_and_keeps_its_spans(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in _MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO spans VALUES ('00000000000000aa', 'ab', NULL, 0, 'GET', 1, 3, 2, 'error',"
        " 'boom', 'GET', '/old', 500, '{}')"
    )
    conn.close()

    tracer = SqliteTracer(path)
    with tracer.start("new") as span:
        span.fail("again")
    tracer.close()

    assert read(path, "PRAGMA user_version") == [{"user_version": SCHEMA_VERSION}]
    indexes = {row["name"] for row in read(path, "PRAGMA index_list(spans)")}
    assert "spans_errors" in indexes
    assert "spans_status_start" not in indexes
    assert "spans_route" not in indexes
    recent = "SELECT name FROM spans WHERE status = 'error' ORDER BY start_ns DESC"
    assert [row["name"] for row in read(path, recent)] == ["new", "GET"]
    plan = " ".join(row["detail"] for row in read(path, "EXPLAIN QUERY PLAN " + recent))
    assert "spans_errors" in plan  # recent errors are found through the partial index
    assert status(path)["schema_version"] == SCHEMA_VERSION


def test_refuses_a_newer_schema(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    newer = rf"schema version {SCHEMA_VERSION + 1}, newer than this stario"
    with pytest.raises(TraceFileError, match=newer) as info:
        SqliteTracer(path)
    assert isinstance(info.value, StarioError)
    assert "STARIO_TRACES_SQLITE" in str(info.value)


def test_refuses_a_database_that_is_not_a_trace_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.close()
    with pytest.raises(TraceFileError, match=r"not a stario trace file \(it has users\)"):
        SqliteTracer(path)
    assert read(path, "SELECT name FROM sqlite_master") == [{"name": "users"}]


def test_refuses_a_file_that_is_not_a_database(path: Path) -> None:
    path.write_text("hello, this is text\n" * 100)
    with pytest.raises(TraceFileError, match="not an SQLite database"):
        SqliteTracer(path)
    assert path.read_text() == "hello, this is text\n" * 100


def test_refuses_a_path_that_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(TraceFileError, match="cannot open trace file"):
        SqliteTracer(tmp_path / "no-such-dir" / "traces.sqlite3")


def test_settings_from_env(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STARIO_TRACES_SQLITE_QUEUE", raising=False)
    monkeypatch.delenv("STARIO_TRACES_SQLITE_BATCH", raising=False)
    tracer = SqliteTracer(path)
    assert (tracer.max_queue, tracer.batch_size) == (10_000, 2048)
    assert tracer.flush(0)  # nothing exported: nothing to wait for
    tracer.close()
    monkeypatch.setenv("STARIO_TRACES_SQLITE_QUEUE", "7")
    monkeypatch.setenv("STARIO_TRACES_SQLITE_BATCH", "3")
    tracer = SqliteTracer(path)
    assert (tracer.max_queue, tracer.batch_size) == (7, 3)
    tracer.close()
    tracer = SqliteTracer(path, max_queue=9, batch_size=4)
    assert (tracer.max_queue, tracer.batch_size) == (9, 4)
    tracer.close()


@pytest.mark.parametrize("var", ["STARIO_TRACES_SQLITE_QUEUE", "STARIO_TRACES_SQLITE_BATCH"])
@pytest.mark.parametrize("value", ["abc", "0", "-5"])
def test_bad_env_values_name_the_variable(
    path: Path, monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=var):
        SqliteTracer(path)


def test_bad_constructor_values(path: Path) -> None:
    with pytest.raises(ValueError, match="SqliteTracer max_queue"):
        SqliteTracer(path, max_queue=0)
    with pytest.raises(ValueError, match="SqliteTracer batch_size"):
        SqliteTracer(path, batch_size=0)


def test_unstorable_span_is_dropped_alone(path: Path) -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no str")

    tracer = SqliteTracer(path)
    bad = tracer.start("bad")
    bad.attributes["obj"] = Unprintable()  # type: ignore[assignment]
    bad.end()
    tracer.start("good").end()
    tracer.close()
    assert names(path) == ["good"]
    assert (tracer.dropped, tracer.writer_errors) == (1, 1)
    assert tracer.last_error == "RuntimeError: no str"


attr_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.lists(st.one_of(st.booleans(), st.integers(), st.text()), max_size=3),
)


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(),
    attrs=st.dictionaries(st.text(), attr_values, max_size=4),
    body=st.none() | st.text(),
)
def test_any_span_is_stored(name: str, attrs: dict[str, Any], body: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "traces.sqlite3"
        tracer = SqliteTracer(path)
        span = tracer.start(name, attributes=attrs)
        span.event(name, attrs, body=body)
        span.end()
        tracer.close()
        (row,) = read(path, "SELECT * FROM spans")
        (event,) = read(path, "SELECT * FROM span_events")
    assert (tracer.dropped, tracer.writer_errors) == (0, 0)
    # lone surrogates cannot be UTF-8: they are kept visible as \udcxx escapes
    clean = name.encode("utf-8", "backslashreplace").decode("utf-8")
    assert row["name"] == event["name"] == clean
    expected = {
        k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in attrs.items()
    }
    assert json.loads(row["attributes_json"]) == expected
    assert json.loads(event["attributes_json"]) == expected
    if body is not None:
        assert event["body"] == body.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_forked_child_writes_with_its_own_connection(path: Path) -> None:
    tracer = SqliteTracer(path)
    tracer.start("parent").end()
    assert tracer.flush(WAIT)  # the parent's writer thread and connection exist now
    pid = os.fork()
    if pid == 0:  # child: must leave via os._exit, whatever happens
        try:
            tracer.start("child").end()
            tracer.close()
            ok = tracer.dropped == tracer.writer_errors == 0 and tracer.spans_written == 1
            os._exit(0 if ok else 1)
        finally:
            os._exit(2)
    _, code = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(code) == 0
    tracer.start("parent again").end()
    tracer.close()
    assert sorted(names(path)) == ["child", "parent", "parent again"]
    assert status(path)["spans_written"] == 3


def test_spans_with_and_without_null_columns_in_one_batch_keep_every_value(path: Path) -> None:
    tracer = SqliteTracer(path)
    root = tracer.start(
        "GET",
        attributes={"request.method": "GET", "request.path": "/a", "response.status_code": 200},
    )
    child = root.step("db", {"rows": 3})
    failed = child.step("query")
    failed.fail("timeout")
    reject = tracer.start("http.reject", attributes={"response.status_code": 431})
    odd = tracer.start("odd", attributes={"request.path": "/only-path", "request.method": 7})
    for span in (failed, child, root, reject, odd):
        span.end(span.start_ns + 10)
    tracer.close()
    columns = ", ".join(SPAN_COLUMNS)
    got = {row["name"]: row for row in read(path, f"SELECT {columns} FROM spans")}
    assert set(got) == {"GET", "db", "query", "http.reject", "odd"}
    for span in (failed, child, root, reject, odd):
        row = got[span.name]
        assert row["span_id"] == span.span_id
        assert row["trace_id"] == span.trace_id
        assert row["parent_id"] == span.parent_id
        assert (row["start_ns"], row["end_ns"], row["duration_ns"]) == (
            span.start_ns,
            span.start_ns + 10,
            10,
        )
        assert (row["status"], row["error"]) == (span.status, span.error)
        assert json.loads(row["attributes_json"]) == span.attributes
    nullable = ("parent_id", "error", "request_method", "request_path", "response_status_code")
    assert {name: tuple(got[name][c] for c in nullable) for name in got} == {
        "GET": (None, None, "GET", "/a", 200),
        "db": (root.span_id, None, None, None, None),
        "query": (child.span_id, "timeout", None, None, None),
        "http.reject": (None, None, None, None, 431),
        "odd": (None, None, None, "/only-path", None),
    }
    assert [got[name]["depth"] for name in ("GET", "db", "query")] == [0, 1, 2]
