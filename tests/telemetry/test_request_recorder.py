"""Request spans the app never asked for: exported from plain fields, as a Span would be.

The json and sqlite tracers give the server a request recorder; a handler that never
reads ``c.span`` then costs no Span object. These tests run a real server and check
that such a request is exported exactly like one whose handler did read ``c.span``.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from stario import App, Context, Writer
from stario.context import RouteInfo
from stario.http.body import NO_BODY
from stario.request import Request
from stario.telemetry import JsonTracer, MemoryTracer, RequestRecorder, Span, SqliteTracer
from tests.http.httpkit import serving

BOUND = 10.0


async def same(c: Context, w: Writer) -> None:
    """Reads ``c.span`` only when the query string says so."""
    if c.req.query_bytes == b"touch":
        assert c.span.recording
    w.respond(b"ok", "text/plain")


async def late(c: Context, w: Writer) -> None:
    """Asks for its span only after a while: the span still starts at the head."""
    c.state["entered_ns"] = time.time_ns()
    await asyncio.sleep(0.05)
    c.span.attr("entered_ns", c.state["entered_ns"])
    w.respond(b"late", "text/plain")


async def boom(c: Context, w: Writer) -> None:
    raise RuntimeError("kaput")


def make_app() -> App:
    app = App()
    app.get("/same", same)
    app.get("/late", late)
    app.get("/boom", boom)
    return app


async def fetch(port: int, *targets: str) -> list[bytes]:
    """GET each target on one keep-alive connection; the raw status lines."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), BOUND)
    statuses = []
    try:
        for target in targets:
            writer.write(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
            await asyncio.wait_for(reader.readexactly(length), BOUND)
            statuses.append(head.split(b"\r\n", 1)[0])
    finally:
        writer.close()
    return statuses


def request_lines(data: bytes) -> list[str]:
    return [line for line in data.decode().splitlines() if json.loads(line)["name"] == "GET"]


def masked(line: str) -> str:
    """The line with ids and times replaced, to compare two requests' lines as text."""
    line = re.sub(r'"(trace_id|span_id)":"[0-9a-f]+"', r'"\1":"-"', line)
    line = re.sub(r'"(start_ns|end_ns|duration_ns)":\d+', r'"\1":0', line)
    return re.sub(r'"client.address":"[^"]*"', '"client.address":"-"', line)


def test_the_builtin_file_tracers_offer_a_recorder(tmp_path: Path) -> None:
    json_tracer = JsonTracer(io.BytesIO())
    sqlite_tracer = SqliteTracer(tmp_path / "t.sqlite3")
    try:
        assert json_tracer.request_recorder() is not None
        assert sqlite_tracer.request_recorder() is not None
        assert MemoryTracer().request_recorder() is None
    finally:
        json_tracer.close()
        sqlite_tracer.close()


async def test_json_line_of_an_untouched_request_equals_a_touched_one() -> None:
    stream = io.BytesIO()
    async with serving(make_app(), tracer=JsonTracer(stream)) as port:
        statuses = await fetch(port, "/same", "/same?touch", "/same")
    assert statuses == [b"HTTP/1.1 200 OK"] * 3
    lines = request_lines(stream.getvalue())
    assert len(lines) == 3
    # Byte for byte the same text once ids and times are masked.
    assert masked(lines[0]) == masked(lines[1]) == masked(lines[2])
    records = [json.loads(line) for line in lines]
    for record in records:
        assert list(record["attributes"]) == [
            "request.method",
            "request.path",
            "http.version",
            "client.address",
            "response.status_code",
        ]
        assert record["attributes"]["request.path"] == "/same"
        assert record["attributes"]["response.status_code"] == 200
        assert record["attributes"]["client.address"] == "127.0.0.1"
        assert record["duration_ns"] == record["end_ns"] - record["start_ns"] >= 0
        assert re.fullmatch("[0-9a-f]{32}", record["trace_id"])
        assert record["span_id"] == record["trace_id"][:16]
        assert "parent_id" not in record
    assert len({record["trace_id"] for record in records}) == 3
    # Requests on one connection come in order, whichever way they were recorded.
    assert records[0]["end_ns"] <= records[1]["start_ns"]
    assert records[1]["end_ns"] <= records[2]["start_ns"]


async def test_sqlite_rows_of_an_untouched_request_equal_a_touched_one(tmp_path: Path) -> None:
    path = tmp_path / "traces.sqlite3"
    async with serving(make_app(), tracer=SqliteTracer(path)) as port:
        await fetch(port, "/same", "/same?touch")
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(row) for row in db.execute("SELECT * FROM spans WHERE name = 'GET'")]
    assert len(rows) == 2
    varying = {"span_id", "trace_id", "start_ns", "end_ns", "duration_ns"}
    untouched, touched = ({k: v for k, v in row.items() if k not in varying} for row in rows)
    assert untouched == touched
    assert untouched["request_method"] == "GET"
    assert untouched["request_path"] == "/same"
    assert untouched["response_status_code"] == 200
    assert untouched["depth"] == 0
    assert untouched["parent_id"] is None
    assert untouched["status"] == "ok"
    assert json.loads(untouched["attributes_json"])["http.version"] == "1.1"
    for row in rows:
        assert row["span_id"] == row["trace_id"][:16]
        assert row["duration_ns"] == row["end_ns"] - row["start_ns"] >= 0


async def test_a_span_asked_for_late_starts_at_the_request_head() -> None:
    stream = io.BytesIO()
    async with serving(make_app(), tracer=JsonTracer(stream)) as port:
        assert await fetch(port, "/late") == [b"HTTP/1.1 200 OK"]
    (line,) = request_lines(stream.getvalue())
    record = json.loads(line)
    entered = record["attributes"]["entered_ns"]
    assert record["start_ns"] <= entered
    assert record["end_ns"] - entered >= 40_000_000  # the handler slept 50 ms after entering
    assert record["attributes"]["response.status_code"] == 200


async def test_a_failing_handler_gets_a_real_span_with_the_exception() -> None:
    stream = io.BytesIO()
    async with serving(make_app(), tracer=JsonTracer(stream)) as port:
        assert await fetch(port, "/boom", "/same") == [
            b"HTTP/1.1 500 Internal Server Error",
            b"HTTP/1.1 200 OK",
        ]
    failed, fine = (json.loads(line) for line in request_lines(stream.getvalue()))
    assert failed["status"] == "error"
    assert failed["error"] == "RuntimeError: kaput"
    assert failed["attributes"]["response.status_code"] == 500
    (event,) = failed["events"]
    assert event["name"] == "exception"
    assert "kaput" in event["body"]
    assert fine["status"] == "ok"
    assert fine["events"] == []


class CountingJson(JsonTracer):
    """A subclass that wants to see every span: no recorder for it."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO())
        self.seen: list[Span] = []

    def export(self, span: Span) -> None:
        self.seen.append(span)
        super().export(span)


class StartWatching(JsonTracer):
    def __init__(self) -> None:
        super().__init__(io.BytesIO())
        self.started: list[str] = []

    def on_start(self, span: Span) -> None:
        self.started.append(span.name)


async def test_subclasses_that_watch_spans_see_every_request_span() -> None:
    counting, watching = CountingJson(), StartWatching()
    assert counting.request_recorder() is None
    assert watching.request_recorder() is None
    for tracer in (counting, watching):
        async with serving(make_app(), tracer=tracer) as port:
            await fetch(port, "/same", "/same")
    requests = [span for span in counting.seen if span.name == "GET"]
    assert len(requests) == 2
    assert all(span.attributes["response.status_code"] == 200 for span in requests)
    assert watching.started.count("GET") == 2


async def test_context_accepts_a_plain_span_and_a_source() -> None:
    app = App()
    req = Request("GET", b"/", [], NO_BODY)
    route = RouteInfo("/", {})
    span = MemoryTracer().start("GET")
    assert Context(app, req, span, route).span is span

    class Source:
        calls = 0

        def request_span(self) -> Span:
            Source.calls += 1
            return span

    c = Context(app, req, Source(), route)
    assert Source.calls == 0  # nothing started until asked
    assert c.span is span
    assert c.span is span
    assert Source.calls == 1
    other = MemoryTracer().start("other")
    c.span = other
    assert c.span is other


def test_recorded_fields_are_escaped_and_many_distinct_requests_stay_correct(
    tmp_path: Path,
) -> None:
    stream = io.BytesIO()
    json_tracer = JsonTracer(stream)
    sqlite_tracer = SqliteTracer(tmp_path / "t.sqlite3")
    paths = [f'/odd "quote" \\ {n} ünï' for n in range(1500)]  # more than any cache keeps
    try:
        for recorder in (json_tracer.request_recorder(), sqlite_tracer.request_recorder()):
            assert recorder is not None
            for n, path in enumerate(paths):
                recorder("GET", path, "1.1", "unix:/tmp/s\u00e9", 200 + n % 3, n, n + 5)
    finally:
        json_tracer.close()
        sqlite_tracer.close()
    records = [json.loads(line) for line in stream.getvalue().decode().splitlines()]
    assert [r["attributes"]["request.path"] for r in records] == paths
    assert [r["attributes"]["response.status_code"] for r in records] == [
        200 + n % 3 for n in range(1500)
    ]
    assert all(r["attributes"]["client.address"] == "unix:/tmp/s\u00e9" for r in records)
    assert all(r["duration_ns"] == 5 for r in records)
    with sqlite3.connect(tmp_path / "t.sqlite3") as db:
        rows = db.execute(
            "SELECT request_path, response_status_code, attributes_json FROM spans"
            " WHERE name = 'GET' ORDER BY start_ns"
        ).fetchall()
    assert [row[0] for row in rows] == paths
    assert [row[1] for row in rows] == [200 + n % 3 for n in range(1500)]
    assert all(json.loads(row[2])["request.path"] == row[0] for row in rows)


class _HeldSink:
    """A stream whose first write blocks until `release` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.entered.set()
        assert self.release.wait(BOUND)
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass


def _record(recorder: RequestRecorder, path: str) -> None:
    recorder("GET", path, "1.1", "127.0.0.1", 200, 1_000, 2_500)


def test_json_recorder_keeps_the_queue_bound_and_counts_what_it_drops(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink = _HeldSink()
    tracer = JsonTracer(sink, max_queue=2)
    try:
        recorder = tracer.request_recorder()
        assert recorder is not None
        _record(recorder, "/first")  # starts the writer, which blocks on it
        assert sink.entered.wait(BOUND)
        for i in range(5):
            _record(recorder, f"/r{i}")
        assert tracer.dropped == 3
    finally:
        sink.release.set()
        tracer.close()
    paths = [json.loads(line)["attributes"]["request.path"] for line in sink.data.splitlines()]
    assert paths == ["/first", "/r0", "/r1"]
    assert capsys.readouterr().err == "stario: json tracer dropped 3 spans (queue full)\n"


def test_recorders_drop_after_close_and_write_everything_before(tmp_path: Path) -> None:
    stream = io.BytesIO()
    json_tracer = JsonTracer(stream)
    sqlite_tracer = SqliteTracer(tmp_path / "t.sqlite3")
    recorders = [json_tracer.request_recorder(), sqlite_tracer.request_recorder()]
    for recorder in recorders:
        assert recorder is not None
        for i in range(3000):  # more than one batch of each tracer
            _record(recorder, f"/p{i % 7}")
    json_tracer.close()
    sqlite_tracer.close()
    for recorder in recorders:
        assert recorder is not None
        _record(recorder, "/late")
    assert (json_tracer.dropped, sqlite_tracer.dropped) == (1, 1)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3000
    assert len({line["trace_id"] for line in lines}) == 3000
    assert all(line["duration_ns"] == 1_500 for line in lines)
    with sqlite3.connect(tmp_path / "t.sqlite3") as db:
        rows = db.execute(
            "SELECT count(*), count(DISTINCT trace_id), min(duration_ns), max(duration_ns), "
            "count(DISTINCT request_path) FROM spans"
        ).fetchone()
    assert rows == (3000, 3000, 1_500, 1_500, 7)


class _BrokenRecorderTracer(MemoryTracer):
    """A custom tracer whose request recorder raises on every request."""

    def request_recorder(self) -> RequestRecorder | None:
        def record(*fields: object) -> None:
            raise RuntimeError("sink is gone")

        return record


async def test_a_recorder_that_raises_costs_a_counter_not_the_connection() -> None:
    tracer = _BrokenRecorderTracer()
    async with serving(make_app(), tracer=tracer) as port:
        # One keep-alive connection: the second request is answered too.
        statuses = await fetch(port, "/same", "/same", "/same?touch")
    assert statuses == [b"HTTP/1.1 200 OK"] * 3
    assert tracer.export_errors == 2
    # The request that asked for its span still got one, through export().
    assert [span.name for span in tracer.spans if span.name == "GET"] == ["GET"]
