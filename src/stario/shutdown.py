"""``drain()``: the graceful part of shutdown, shared by ``Server`` and ``TestClient``."""

from __future__ import annotations

import asyncio
from typing import Any

from stario.app import App
from stario.http.registry import ConnectionRegistry
from stario.telemetry import Span

__all__ = ["drain"]

# How long cancelled handlers and tasks get to run their cleanup after the deadline.
_CANCEL_GRACE = 1.0


async def drain(
    app: App,
    registry: ConnectionRegistry,
    grace: float,
    span: Span,
    force: asyncio.Event | None = None,
) -> None:
    """Signal shutdown, let requests and tasks finish for ``grace`` s, then cut the rest.

    Idle connections close at once; requests already received finish. Handlers whose
    client went away still count as in flight. Setting ``force`` skips the wait. The
    counts go on ``span`` as ``connections.open``, ``connections.force_closed`` and
    ``tasks.cancelled``.
    """
    registry.shutting_down = True
    app.begin_shutdown()
    open_at_start = len(registry.connections)
    for conn in list(registry.connections):
        conn.shutdown()
    await _wait_idle(app, registry, asyncio.get_running_loop().time() + grace, force)
    forced = list(registry.connections)
    handlers = [c.handler_task for c in forced if c.handler_task is not None]
    for conn in forced:
        conn.cancel_handlers()
        conn.abort()
    tasks = app.tasks
    for task in tasks:
        task.cancel()
    leftovers: set[asyncio.Future[Any]] = {*tasks, *(h for h in handlers if not h.done())}
    if leftovers:
        await asyncio.wait(leftovers, timeout=_CANCEL_GRACE)
    span.attrs(
        {
            "connections.open": open_at_start,
            "connections.force_closed": len(forced),
            "tasks.cancelled": len(tasks),
        }
    )


async def _wait_idle(
    app: App, registry: ConnectionRegistry, deadline: float, force: asyncio.Event | None
) -> None:
    loop = asyncio.get_running_loop()
    forced = asyncio.ensure_future(force.wait()) if force is not None else None
    try:
        while registry.connections or app.tasks:
            remaining = deadline - loop.time()
            if remaining <= 0 or (forced is not None and forced.done()):
                return
            waiters: set[asyncio.Future[Any]] = set(app.tasks)
            if forced is not None:
                waiters.add(forced)
            if registry.connections:
                waiter = loop.create_future()
                registry.idle_waiter = waiter
                waiters.add(waiter)
            await asyncio.wait(waiters, timeout=remaining, return_when="FIRST_COMPLETED")
    finally:
        if forced is not None:
            forced.cancel()
