"""SIGTERM against a real ``stario serve`` process: drain, stream goodbyes, teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.live import (
    BOUND,
    StarioProcess,
    connect,
    fetch,
    parse_response,
    read_to_eof,
    read_until,
    send_request,
)

pytestmark = pytest.mark.slow

APP = """
from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from stario import App, Context, Span, Writer, responses


def started(name: str) -> None:
    # The test waits for this line, so it signals only once the request is in flight.
    print(f"e2e: {name} started", file=sys.stderr, flush=True)


async def slow(c: Context, w: Writer) -> None:
    started("slow")
    # Plain work that never looks at c.alive(): it runs on until the drain has begun,
    # and a while into it, so it is certainly in flight when the signal arrives.
    while not c.shutting_down:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    responses.text(w, "done")


async def events(c: Context, w: Writer) -> None:
    w.headers.set("content-type", "text/event-stream")
    w.headers.set("cache-control", "no-cache")
    w.write_headers(200)
    async with c.alive():
        while True:
            w.write("data: tick\\n\\n")
            await asyncio.sleep(0.1)
    w.write("event: bye\\ndata: shutdown\\n\\n")
    w.end()


async def ping(c: Context, w: Writer) -> None:
    responses.text(w, "pong")


async def stubborn(c: Context, w: Writer) -> None:
    started("stubborn")
    await asyncio.sleep(30)  # ignores shutdown entirely
    responses.text(w, "too late")


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    app.get("/slow", slow)
    app.get("/events", events)
    app.get("/stubborn", stubborn)
    app.get("/ping", ping)
    yield
    Path("teardown.marker").write_text("torn down")
"""

Serve = Callable[..., StarioProcess]

BROKEN = """
async def bootstrap(app, span):
    raise RuntimeError("database unreachable")
    yield
"""


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


@pytest.fixture
def serve(app_dir: Path) -> Iterator[Serve]:
    """Start ``stario serve app:bootstrap --tracer json`` with a chosen graceful timeout."""
    started: list[StarioProcess] = []

    def start(graceful_timeout: str, loop: str = "auto") -> StarioProcess:
        args = ["app:bootstrap", "--port", "0", "--tracer", "json", "--loop", loop]
        proc = StarioProcess(
            [*args, "--graceful-timeout", graceful_timeout], app_dir, app_dir / "stdout.ndjson"
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def shutdown_span(proc: StarioProcess) -> dict[str, Any]:
    [span] = [s for s in proc.spans() if s["name"] == "server.shutdown"]
    return span


# Signal handling and transports differ between the two loops; both must drain.
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_sigterm_drains_in_flight_work_ends_streams_and_runs_teardown(
    serve: Serve, app_dir: Path, loop: str
) -> None:
    proc = serve("5", loop)
    port = proc.wait_listening()
    idle = connect(port)
    stream = send_request(port, "/events")
    slow = send_request(port, "/slow")
    try:
        assert fetch(idle, "/ping").body == b"pong"  # then it sits idle, kept alive
        sse = bytearray()
        read_until(stream, sse, b"data: tick\n\n", count=3)
        proc.wait_for_line(r"e2e: slow started")
        proc.terminate()

        idle_rest = read_to_eof(idle)
        slow_raw = read_to_eof(slow)
        sse_raw = read_to_eof(stream, sse)
    finally:
        for sock in (idle, stream, slow):
            sock.close()
    assert proc.wait(BOUND) == 0
    assert idle_rest == b""  # closed by the server without another response

    answer, rest = parse_response(slow_raw)
    assert (answer.status, answer.body, rest) == (200, b"done", b"")
    assert answer.headers["connection"] == "close"

    events, rest = parse_response(sse_raw)
    assert events.status == 200
    assert events.headers["content-type"] == "text/event-stream"
    assert events.body.startswith(b"data: tick\n\n")
    assert events.body.endswith(b"data: tick\n\nevent: bye\ndata: shutdown\n\n")
    assert events.chunked_complete
    assert sse_raw.endswith(b"0\r\n\r\n")
    assert rest == b""

    assert (app_dir / "teardown.marker").read_text() == "torn down"
    spans = proc.spans()  # every stdout line is JSON
    names = [s["name"] for s in spans]
    assert "server.startup" in names
    span = shutdown_span(proc)
    assert span["status"] == "ok"
    assert span["attributes"]["connections.open"] == 3
    assert span["attributes"]["connections.force_closed"] == 0
    slow_spans = [s for s in spans if s["attributes"].get("request.path") == "/slow"]
    assert [s["attributes"]["response.status_code"] for s in slow_spans] == [200]


def test_a_handler_that_ignores_shutdown_is_cut_off_after_the_graceful_timeout(
    serve: Serve, app_dir: Path
) -> None:
    proc = serve("0.5")
    port = proc.wait_listening()
    stuck = send_request(port, "/stubborn")
    try:
        proc.wait_for_line(r"e2e: stubborn started")
        proc.terminate()
        leftover = read_to_eof(stuck)
    finally:
        stuck.close()
    # Well inside the handler's 30 s: the server gave up on it after 0.5 s.
    assert proc.wait(BOUND) == 0
    assert leftover == b""  # no answer: the connection was force-closed
    assert shutdown_span(proc)["attributes"]["connections.force_closed"] >= 1
    assert (app_dir / "teardown.marker").exists()


def test_a_second_signal_skips_the_graceful_wait(serve: Serve) -> None:
    proc = serve("60")
    port = proc.wait_listening()
    idle = connect(port)
    stuck = send_request(port, "/stubborn")
    try:
        assert fetch(idle, "/ping").body == b"pong"
        proc.wait_for_line(r"e2e: stubborn started")
        proc.terminate()
        # The idle connection closing shows the drain has begun; two signals sent back
        # to back could merge into one while pending.
        assert read_to_eof(idle) == b""
        proc.terminate()
        leftover = read_to_eof(stuck)
    finally:
        idle.close()
        stuck.close()
    # The graceful timeout is 60 s; only skipping it lets the process end within BOUND.
    assert proc.wait(BOUND) == 0
    assert leftover == b""
    assert shutdown_span(proc)["attributes"]["connections.force_closed"] == 1


def test_a_failing_bootstrap_exits_non_zero_without_listening(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(BROKEN)
    proc = StarioProcess(
        ["app:bootstrap", "--port", "0", "--tracer", "json"], tmp_path, tmp_path / "stdout"
    )
    try:
        code = proc.wait(BOUND)
    finally:
        proc.stop()
    assert code != 0
    assert not any("listening" in line for line in proc.stderr_lines)
    assert proc.stderr_lines == [
        "stario: error: bootstrap failed: RuntimeError: database unreachable"
    ]
