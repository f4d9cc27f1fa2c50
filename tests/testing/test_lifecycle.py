"""Bootstrap, drain and teardown under TestClient, mirroring the server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from stario import App, Context, Span, Writer, responses
from stario.config import ServerConfig
from stario.errors import StarioError
from stario.telemetry import MemoryTracer
from stario.testing import TestClient

from .demo import Log, make_bootstrap


async def test_setup_before_requests_teardown_after(log: Log) -> None:
    async with TestClient(make_bootstrap(log)) as client:
        assert log.events == ["setup"]
        await client.get("/text")
        assert log.events == ["setup"]
    assert log.events == ["setup", "teardown"]


async def test_background_task_finishes_before_teardown(log: Log) -> None:
    async with TestClient(make_bootstrap(log)) as client:
        assert (await client.post("/background")).text == "started"
        assert len(client.app.tasks) == 1
    assert log.events == ["setup", "task done", "teardown"]


async def test_startup_and_shutdown_spans(log: Log) -> None:
    async with TestClient(make_bootstrap(log)) as client:
        pass
    startup, shutdown = client.tracer.find("server.startup"), client.tracer.find("server.shutdown")
    assert len(startup) == len(shutdown) == 1
    assert startup[0].attributes["config.graceful_timeout"] == 5.0
    assert shutdown[0].links[0].span_id == startup[0].span_id
    assert shutdown[0].attributes["tasks.cancelled"] == 0


async def test_stuck_work_is_cancelled_after_the_grace_period() -> None:
    cancelled: list[str] = []

    async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
        async def forever() -> None:
            try:
                await asyncio.Future()
            except asyncio.CancelledError:
                cancelled.append("task")
                raise

        async def start(c: Context, w: Writer) -> None:
            app.create_task(forever())
            responses.text(w, "ok")

        app.get("/", start)
        yield
        cancelled.append("teardown")

    config = ServerConfig(graceful_timeout=0)
    async with TestClient(bootstrap, config=config) as client:
        await client.get("/")
    assert cancelled == ["task", "teardown"]
    [shutdown] = client.tracer.find("server.shutdown")
    assert shutdown.attributes["tasks.cancelled"] == 1


async def test_async_context_manager_bootstrap() -> None:
    seen: list[str] = []

    @asynccontextmanager
    async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
        seen.append("enter")
        yield
        seen.append("exit")

    async with TestClient(bootstrap):
        assert seen == ["enter"]
    assert seen == ["enter", "exit"]


async def test_failing_bootstrap_raises_and_closes_the_tracer() -> None:
    class ClosingTracer(MemoryTracer):
        closed = False

        def close(self) -> None:
            self.closed = True

    async def bootstrap(app: App, span: Span) -> None:
        raise RuntimeError("no database")

    tracer = ClosingTracer()
    with pytest.raises(RuntimeError, match="no database"):
        async with TestClient(bootstrap, tracer=tracer):
            pass
    assert tracer.closed
    [startup] = tracer.find("server.startup")
    assert startup.status == "error"


async def test_bad_bootstrap_shape_is_reported() -> None:
    async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
        yield
        yield

    with pytest.raises(StarioError, match="more than once"):
        async with TestClient(bootstrap):
            pass


async def test_exception_in_the_test_still_tears_down(log: Log) -> None:
    with pytest.raises(KeyError):
        async with TestClient(make_bootstrap(log)):
            raise KeyError("test failed")
    assert log.events == ["setup", "teardown"]


async def test_a_client_runs_once(log: Log) -> None:
    client = TestClient(make_bootstrap(log))
    async with client:
        pass
    with pytest.raises(StarioError, match="runs its app once"):
        async with client:
            pass
