"""``Resumed``: a handler whose first step ran outside its task, handed back to it.

A keep-alive connection's next request usually arrives while the connection's task is
parked. ``Connection`` then runs the handler's first step from a loop callback in the
next iteration (``ConnectionRegistry.start_soon``), in the name of that task
(``asyncio.current_task()`` is the task, the task's context is entered), which spares
waking the task through a future. Most handlers answer in that one step. One that
awaits something not yet done stops on a future (or a bare ``yield``); the connection
wraps it in a ``Resumed`` and wakes its task, which awaits the ``Resumed``: the task
then drives the handler's coroutine to its end as if it had run it from the start,
with the same futures, cancellation and exceptions.

This module stays pure Python in compiled builds: only a generator passes what a
coroutine yields on to the task unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["Resumed"]


class Resumed:
    """The rest of a coroutine whose last step yielded ``pending``."""

    __slots__ = ("_coro", "_pending", "_thrown")

    def __init__(self, coro: Coroutine[Any, Any, None], pending: object) -> None:
        self._coro = coro
        self._pending = pending
        self._thrown: BaseException | None = None

    def cancel(self, exc: asyncio.CancelledError) -> None:
        """Deliver a cancellation of the task that arrived before it took over.

        The future the coroutine waits on is cancelled, as ``Task.cancel()`` does with
        the future a task waits on; with nothing to cancel, ``exc`` is thrown in.
        """
        pending = self._pending
        if isinstance(pending, asyncio.Future) and pending.cancel(*exc.args):
            return
        self._thrown = exc

    def close(self) -> None:
        """Close the coroutine without running it further (its ``finally`` runs)."""
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, None]:
        coro = self._coro
        pending = self._pending
        thrown = self._thrown
        self._pending = self._thrown = None
        try:
            while True:
                if thrown is not None:
                    exc, thrown = thrown, None
                    pending = coro.throw(exc)
                try:
                    sent = yield pending
                except GeneratorExit:
                    coro.close()
                    raise
                except BaseException as exc:  # a failed future, a cancellation
                    thrown = exc
                else:
                    pending = coro.send(sent)
        except StopIteration:
            return
