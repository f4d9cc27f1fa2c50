"""The server raises the garbage collector's first threshold while it runs."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

from stario import App, Server, ServerConfig, Span
from stario.lifecycle import Bootstrap
from stario.server import GC_THRESHOLD
from stario.telemetry import NoopTracer

BOUND = 10.0


async def serve(bootstrap: Bootstrap) -> tuple[int, int, int]:
    """Run a server with ``bootstrap``; the thresholds seen while it listened."""
    server = Server(bootstrap, NoopTracer(), ServerConfig(port=0), announce=lambda _: None)
    task = asyncio.ensure_future(server.serve())
    try:
        await asyncio.wait_for(server.started(), BOUND)
        return gc.get_threshold()
    finally:
        server.shutdown()
        await asyncio.wait_for(task, BOUND)


async def plain(app: App, span: Span) -> AsyncIterator[None]:
    yield


async def test_threshold_is_raised_while_serving_and_restored_after() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        during = await serve(plain)
        assert during == (GC_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


async def test_a_higher_threshold_is_kept() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(GC_THRESHOLD * 2, 5, 5)
        assert await serve(plain) == (GC_THRESHOLD * 2, 5, 5)
    finally:
        gc.set_threshold(*before)


async def test_the_bootstrap_may_set_its_own() -> None:
    async def tuned(app: App, span: Span) -> AsyncIterator[None]:
        gc.set_threshold(1_000, 20, 20)
        yield

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        assert await serve(tuned) == (1_000, 20, 20)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
