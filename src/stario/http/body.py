"""``RequestBody``: the body stream between a connection and a handler."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

__all__ = ["NO_BODY", "BodyOwner", "RequestBody"]


class BodyOwner(Protocol):
    """The connection side of a body: flow control, 100-continue and the stall timer."""

    def body_wanted(self, body: RequestBody) -> None:
        """The handler waits for bytes that have not arrived."""

    def body_settled(self, body: RequestBody) -> None:
        """The handler stopped waiting (bytes came, or the body failed)."""

    def body_consumed(self, body: RequestBody) -> None:
        """The handler took bytes out of the buffer."""


class RequestBody:
    """Chunks the parser delivered and the handler has not read yet.

    The connection calls ``push``/``finish``/``fail``; the handler awaits ``read``,
    which returns the next chunk, or None once the body is complete, or raises the
    error the body failed with (413, 408, disconnect).
    """

    __slots__ = ("_chunks", "_done", "_error", "_owner", "_waiter", "buffered")

    def __init__(self, owner: BodyOwner, *, done: bool) -> None:
        self._owner = owner
        self._chunks: deque[bytes] = deque()
        self._done = done
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self.buffered = 0

    @property
    def received(self) -> bool:
        """Every byte of the body arrived from the peer."""
        return self._done

    @property
    def waiting(self) -> bool:
        """A handler is blocked in ``read`` for more bytes."""
        return self._waiter is not None

    def push(self, data: bytes) -> None:
        """Add bytes from the parser."""
        self._chunks.append(data)
        self.buffered += len(data)
        self._wake()

    def finish(self) -> None:
        """The parser saw the end of the body."""
        self._done = True
        self._wake()

    def fail(self, exc: BaseException) -> None:
        """Make pending and later reads raise ``exc`` (unless the body already arrived)."""
        if not self._done and self._error is None:
            self._error = exc
            self._wake()

    async def read(self) -> bytes | None:
        """The next chunk, or None at the end of the body."""
        while True:
            if self._chunks:
                data = self._chunks.popleft()
                self.buffered -= len(data)
                self._owner.body_consumed(self)
                return data
            if self._error is not None:
                raise self._error
            if self._done:
                return None
            await self._wait()

    async def _wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        self._owner.body_wanted(self)
        try:
            await self._waiter
        finally:
            self._waiter = None
            self._owner.body_settled(self)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _NoOwner:
    __slots__ = ()

    def body_wanted(self, body: RequestBody) -> None:
        pass

    def body_settled(self, body: RequestBody) -> None:
        pass

    def body_consumed(self, body: RequestBody) -> None:
        pass


NO_BODY = RequestBody(_NoOwner(), done=True)
"""The body of every request without one (PERF: shared; a complete body never changes:
nothing is pushed into it and ``fail()`` leaves it alone)."""
