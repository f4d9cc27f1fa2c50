"""Every ```sql block of docs/telemetry.md, run against the trace file of a real server run."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stario.app import App
from stario.config import ServerConfig
from stario.context import Context
from stario.server import Server
from stario.telemetry import Span, SqliteTracer
from stario.telemetry.sqlite import SCHEMA_VERSION
from stario.writer import Writer

DOCS = Path(__file__).resolve().parents[2] / "docs" / "telemetry.md"
BOUND = 10.0  # seconds; a generous upper bound for any single wait

# (path, how many times it is requested, the status it answers)
PLAN = (
    ("/", 8, 200),
    ("/orders", 4, 200),
    ("/boom", 2, 500),
    ("/missing", 3, 404),
)
BAD_REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"


async def home(c: Context, w: Writer) -> None:
    w.respond("home", "text/plain")


async def orders(c: Context, w: Writer) -> None:
    with c.span.step("db", {"db.table": "orders"}) as db:
        with db.step("db.connect"):
            pass
        db.attr("db.rows", 3)
    with c.span.step("render"):
        pass
    w.respond("3 orders", "text/plain")


async def boom(c: Context, w: Writer) -> None:
    with c.span.step("charge card"):
        raise RuntimeError("card declined")


async def bootstrap(app: App, span: Span) -> None:
    app.get("/", home)
    app.get("/orders", orders)
    app.get("/boom", boom)


async def get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, bytes]:
    """One keep-alive GET: the status code and the body."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = await asyncio.wait_for(reader.readexactly(length), BOUND)
    return status, body


async def serve_and_request(path: Path) -> list[tuple[str, int]]:
    """Run a server with `SqliteTracer(path)`, send `PLAN` and a bad request, shut down."""
    server = Server(
        bootstrap,
        SqliteTracer(path),
        ServerConfig(port=0, graceful_timeout=1.0),
        announce=lambda _: None,
    )
    serving = asyncio.ensure_future(server.serve())
    answers: list[tuple[str, int]] = []
    try:
        await asyncio.wait_for(server.started(), BOUND)
        assert server.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for target, times, _ in PLAN:
            for _ in range(times):
                status, _body = await get(reader, writer, target)
                answers.append((target, status))
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(BAD_REQUEST)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n"), BOUND)
        answers.append(("<bad request>", int(head.split()[1])))
        writer.close()
    finally:
        server.shutdown()
        await asyncio.wait_for(serving, BOUND)
    return answers


@dataclass(frozen=True)
class Query:
    heading: str
    sql: str


def doc_queries() -> list[Query]:
    """Each ```sql block with the nearest heading above it."""
    queries = []
    heading = ""
    lines = iter(DOCS.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.strip() == "```sql":
            body = []
            for inner in lines:
                if inner.strip() == "```":
                    break
                body.append(inner)
            queries.append(Query(heading, "\n".join(body)))
    return queries


QUERIES = doc_queries()
BY_HEADING = {q.heading: q for q in QUERIES}


@dataclass(frozen=True)
class Run:
    path: Path
    answers: list[tuple[str, int]]
    orders_trace: str


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    path = tmp_path_factory.mktemp("traces") / "stario-traces.sqlite3"
    answers = asyncio.run(serve_and_request(path))
    with closing(sqlite3.connect(path)) as conn:
        (trace,) = conn.execute(
            "SELECT trace_id FROM spans WHERE request_path = '/orders' LIMIT 1"
        ).fetchone()
    return Run(path, answers, trace)


@pytest.fixture
def db(run: Run) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{run.path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def query(
    db: sqlite3.Connection, heading: str, trace_id: str | None = None
) -> list[dict[str, Any]]:
    sql = BY_HEADING[heading].sql
    params = {"trace_id": trace_id} if ":trace_id" in sql else {}
    return [dict(row) for row in db.execute(sql, params)]


def durations_ms(db: sqlite3.Connection, path: str) -> list[int]:
    rows = db.execute(
        "SELECT duration_ns FROM spans WHERE request_path = ? ORDER BY duration_ns", (path,)
    )
    return [row[0] for row in rows]


def test_the_server_answered_as_planned(run: Run) -> None:
    expected = [(path, status) for path, times, status in PLAN for _ in range(times)]
    assert run.answers == [*expected, ("<bad request>", 400)]


def test_docs_have_the_promised_queries() -> None:
    assert len(QUERIES) >= 6
    for heading in (
        "Slowest routes (p50, p95)",
        "Error rate per route",
        "Recent exceptions with their request",
        "One trace as a tree",
        "Status code histogram",
        "Tracer health",
    ):
        assert heading in BY_HEADING


@pytest.mark.parametrize("q", QUERIES, ids=[q.heading for q in QUERIES])
def test_every_query_runs_and_returns_rows(db: sqlite3.Connection, run: Run, q: Query) -> None:
    params = {"trace_id": run.orders_trace} if ":trace_id" in q.sql else {}
    rows = db.execute(q.sql, params).fetchall()
    assert rows, q.heading


def test_slowest_routes_has_nearest_rank_percentiles(db: sqlite3.Connection) -> None:
    rows = {row["path"]: row for row in query(db, "Slowest routes (p50, p95)")}
    assert set(rows) == {path for path, _, _ in PLAN}
    for path, times, _ in PLAN:
        durations = durations_ms(db, path)
        row = rows[path]
        assert row["method"] == "GET"
        assert row["requests"] == times == len(durations)
        # nearest rank: the smallest value with at least p of the values at or below it
        assert row["p50_ms"] == round(durations[-(-times * 50 // 100) - 1] / 1e6, 2)
        assert row["p95_ms"] == round(durations[-(-times * 95 // 100) - 1] / 1e6, 2)
        assert row["max_ms"] == round(durations[-1] / 1e6, 2)
    ordered = [row["p95_ms"] for row in query(db, "Slowest routes (p50, p95)")]
    assert ordered == sorted(ordered, reverse=True)


def test_error_rate_puts_the_failing_route_first(db: sqlite3.Connection) -> None:
    rows = query(db, "Error rate per route")
    first = rows[0]
    assert (first["path"], first["requests"], first["failed"]) == ("/boom", 2, 2)
    assert (first["status_5xx"], first["error_pct"]) == (2, 100.0)
    by_path = {row["path"]: row for row in rows}
    assert by_path["/missing"]["status_4xx"] == 3
    assert by_path["/missing"]["error_pct"] == 0.0
    assert by_path["/"]["error_pct"] == 0.0


def test_recent_exceptions_come_with_their_request(db: sqlite3.Connection) -> None:
    rows = query(db, "Recent exceptions with their request")
    # each /boom request: recorded by the "charge card" step and by the request span
    assert sorted(row["in_span"] for row in rows) == ["GET", "GET", "charge card", "charge card"]
    for row in rows:
        assert (row["method"], row["path"], row["status"]) == ("GET", "/boom", 500)
        assert (row["type"], row["message"]) == ("RuntimeError", "card declined")
        assert row["traceback"].startswith("Traceback (most recent call last):")
        assert 'raise RuntimeError("card declined")' in row["traceback"]
    times = [row["at"] for row in rows]
    assert times == sorted(times, reverse=True)


def test_recent_failed_spans_name_the_request(db: sqlite3.Connection) -> None:
    rows = query(db, "Recent failed spans")
    assert {(row["span"], row["path"]) for row in rows} == {
        ("GET", "/boom"),
        ("charge card", "/boom"),
    }
    assert {row["error"] for row in rows} == {"RuntimeError: card declined"}


def test_tree_indents_children_under_their_parent(db: sqlite3.Connection, run: Run) -> None:
    rows = query(db, "One trace as a tree", run.orders_trace)
    assert [row["span"] for row in rows] == ["GET", "  db", "    db.connect", "  render"]
    assert all(row["status"] == "ok" for row in rows)
    assert rows[0]["at_ms"] == 0.0
    assert all(row["at_ms"] >= 0.0 for row in rows)


def test_tree_without_a_trace_id_shows_the_latest_trace_with_children(
    db: sqlite3.Connection,
) -> None:
    rows = query(db, "One trace as a tree", None)
    # /boom came after /orders: a request span with its failed "charge card" step
    assert [row["span"] for row in rows] == ["GET", "  charge card"]
    assert rows[1]["error"] == "RuntimeError: card declined"


def test_requests_per_minute_counts_every_request(db: sqlite3.Connection) -> None:
    rows = query(db, "Requests per minute, last hour")
    assert sum(row["requests"] for row in rows) == sum(times for _, times, _ in PLAN)
    assert sum(row["errors"] for row in rows) == 2


def test_status_histogram(db: sqlite3.Connection) -> None:
    rows = query(db, "Status code histogram")
    assert [(row["status"], row["responses"]) for row in rows] == [
        (200, 12),
        (400, 1),
        (404, 3),
        (500, 2),
    ]
    assert sum(row["pct"] for row in rows) == pytest.approx(100.0, abs=0.2)


def test_tracer_health(db: sqlite3.Connection) -> None:
    rows = {row["key"]: row for row in query(db, "Tracer health")}
    total = db.execute("SELECT count(*) FROM spans").fetchone()[0]
    assert rows["spans_written"]["value"] == total
    assert rows["spans_dropped"]["value"] == 0
    assert rows["writer_errors"]["value"] == 0
    assert rows["last_error"]["value"] is None
    assert rows["schema_version"]["value"] == SCHEMA_VERSION
    assert rows["batches_written"]["value"] >= 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", rows["started_at_ns"]["at"])


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell")
@pytest.mark.parametrize("q", QUERIES, ids=[q.heading for q in QUERIES])
def test_every_query_pastes_into_the_sqlite3_shell(run: Run, q: Query) -> None:
    script = f".param set :trace_id \"'{run.orders_trace}'\"\n{q.sql}\n"
    result = subprocess.run(
        ["sqlite3", "-bail", "-header", "-column", str(run.path)],
        input=script,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) >= 3  # header, rule, at least one row
    if q.heading == "One trace as a tree":
        assert "\n    db.connect" in result.stdout


@pytest.mark.parametrize("q", QUERIES, ids=[q.heading for q in QUERIES])
def test_no_query_builds_a_throwaway_index_over_the_file(db: sqlite3.Connection, q: Query) -> None:
    # SQLite indexes a table on the fly when a lookup has no index: that reads the
    # whole file on every run, which grows with the file. Full scans are fine where
    # a query aggregates everything anyway.
    params = {"trace_id": None} if ":trace_id" in q.sql else {}
    plan = [row["detail"] for row in db.execute("EXPLAIN QUERY PLAN " + q.sql, params)]
    assert not [step for step in plan if "AUTOMATIC" in step], plan
