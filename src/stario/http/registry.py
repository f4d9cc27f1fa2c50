"""``ConnectionRegistry``: a server's live connections, and starting their handlers.

The server's drain waits on it for the last connection to go. It also starts, once
per event-loop iteration, the handlers of the requests that iteration read on
connections whose task was parked (``Connection.start_next``): one loop callback for
all of them instead of a future and a task wake-up for each.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stario.http.connection import Connection

__all__ = ["ConnectionRegistry"]


class ConnectionRegistry:
    """The live connections of a server (all on one event loop) and its shutting-down flag."""

    __slots__ = ("_starting", "connections", "idle_waiter", "shutting_down")

    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self.shutting_down = False
        self.idle_waiter: asyncio.Future[None] | None = None
        # Connections whose parked task has a handler to start in the next loop
        # iteration (see Connection.start_next).
        self._starting: list[Connection] = []

    def start_soon(self, conn: Connection) -> None:
        """Have ``conn.start_next()`` called in the next iteration of its loop."""
        starting = self._starting
        starting.append(conn)
        if len(starting) == 1:
            # PERF: one loop callback for all the requests one iteration read.
            conn.loop.call_soon(self._start_all)

    def _start_all(self) -> None:
        starting = self._starting
        self._starting = []
        done = 0
        try:
            for conn in starting:
                done += 1
                conn.start_next()
        finally:
            if done < len(starting):  # a BaseException left a handler: start the rest
                for conn in starting[done:]:
                    self.start_soon(conn)

    def discard(self, conn: Connection) -> None:
        """Forget a closed connection; wake a drain waiting for the last one."""
        self.connections.discard(conn)
        waiter = self.idle_waiter
        if not self.connections and waiter is not None and not waiter.done():
            waiter.set_result(None)
