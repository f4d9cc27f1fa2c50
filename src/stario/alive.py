"""``Alive``: the object behind ``c.alive()``, which keeps a streaming handler going.

Kept apart from ``stario.context`` so the per-request ``Context`` can be compiled in
the compiled build while this, an async generator among other things, stays
interpreted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from stario.context import Context

__all__ = ["Alive"]

T = TypeVar("T")


class Alive(Generic[T]):
    """The object behind ``c.alive()``; see there."""

    __slots__ = ("_cancelled_by_us", "_ctx", "_source", "_task", "_watch")

    def __init__(self, ctx: Context, source: AsyncIterable[T] | None) -> None:
        self._ctx = ctx
        self._source = source
        self._task: asyncio.Task[Any] | None = None
        self._watch: asyncio.Future[Any] | None = None
        self._cancelled_by_us = False

    def _ending(self) -> asyncio.Future[Any]:
        # Resolves on whichever comes first: disconnect or shutdown.
        lost = self._ctx.req.disconnected
        shutdown = self._ctx.app.shutdown_signal()
        return asyncio.ensure_future(asyncio.wait({lost, shutdown}, return_when="FIRST_COMPLETED"))

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        assert task is not None, "c.alive() must be used inside a task"
        self._task = task
        if self._ctx.closing:
            # Cancelled at the block's first await, not now: a cancel requested before
            # the block runs could outlive it when the block never awaits (uncancel()
            # does not withdraw a pending cancel before Python 3.13).
            asyncio.get_running_loop().call_soon(self._fire, None)
            return
        self._watch = self._ending()
        self._watch.add_done_callback(self._fire)

    def _fire(self, _: asyncio.Future[Any] | None) -> None:
        if self._task is not None and not self._task.done():
            self._cancelled_by_us = True
            self._task.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        # Forgetting the task disarms a _fire() already scheduled for this loop turn.
        task, self._task = self._task, None
        watch = self._watch
        if watch is not None:
            watch.remove_done_callback(self._fire)
            watch.cancel()
        if self._cancelled_by_us and task is not None and task.uncancel() == 0:
            # Our own cancellation: swallow it so code after the block runs.
            return exc_type is asyncio.CancelledError
        return False

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        if self._source is None:
            raise TypeError("c.alive() needs a source to iterate: c.alive(relay.subscribe(...))")
        iterator = aiter(self._source)
        task = asyncio.current_task()
        assert task is not None, "c.alive() must be used inside a task"
        ctx = self._ctx
        waiting = False

        def interrupt(_: asyncio.Future[Any]) -> None:
            # Only a task parked in anext() is cancelled: the consumer's own code between
            # items is never interrupted, and sees the end at its next item instead.
            if waiting and not task.done():
                self._cancelled_by_us = True
                task.cancel()

        # PERF: the next item is awaited in the handler's own task, and the end is two
        # done-callbacks: no task, no asyncio.wait() and no set of futures per item, which
        # is what an SSE fan-out to thousands of clients pays for every event.
        ends = (ctx.req.disconnected, ctx.app.shutdown_signal())
        for end in ends:
            end.add_done_callback(interrupt)
        lost, shutdown = ends
        try:
            while not (lost.done() or shutdown.done()):  # ctx.closing, without 4 lookups
                waiting = True
                try:
                    item = await anext(iterator)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if self._cancelled_by_us:
                        self._cancelled_by_us = False
                        if task.uncancel() == 0:
                            return  # our own interruption: the loop ends, cleanup runs
                    raise
                finally:
                    waiting = False
                yield item
        finally:
            for end in ends:
                end.remove_done_callback(interrupt)
            closer = getattr(iterator, "aclose", None)
            if closer is not None:
                await closer()
