"""``MemoryTransport``: an asyncio transport with no socket, for driving a Connection."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["MemoryTransport", "open_memory_connection"]


class MemoryTransport(asyncio.Transport):
    """Collects what the server writes and lets a test feed what the client sends.

    ``feed(data)`` delivers bytes to the protocol the way a socket read would;
    ``read()`` waits for server output; ``closed`` resolves when the server closes.
    ``write_buffer_limit`` makes the transport report backpressure (slow reader).
    """

    def __init__(
        self,
        protocol: asyncio.Protocol,
        *,
        peer: tuple[str, int] | str = ("127.0.0.1", 50000),
        write_buffer_limit: int | None = None,
    ) -> None:
        super().__init__()
        self._protocol = protocol
        self._peer = peer
        self._buffer = bytearray()
        self._data_event = asyncio.Event()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reading = True
        self.eof_written = False
        self.aborted = False
        self._closing = False
        self._limit = write_buffer_limit
        self._write_paused = False
        protocol.connection_made(self)

    # --- client side ------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Deliver ``data`` to the server as one read."""
        if not self._closing and data:
            self._protocol.data_received(data)

    def feed_eof(self) -> None:
        """The client closed its side: the server sees the connection lost."""
        self._finish(None)

    async def read(self, timeout: float = 5.0) -> bytes:  # noqa: ASYNC109
        """Wait for output, then return everything buffered (empty after close)."""
        if not self._buffer and not self.closed.done():
            self._data_event.clear()
            waiter: asyncio.Future[object] = asyncio.ensure_future(self._data_event.wait())
            closed: asyncio.Future[object] = self.closed  # type: ignore[assignment]
            await asyncio.wait({waiter, closed}, timeout=timeout, return_when="FIRST_COMPLETED")
            waiter.cancel()
        return self.take()

    def take(self) -> bytes:
        """Return and clear what the server wrote so far."""
        data = bytes(self._buffer)
        self._buffer.clear()
        if self._write_paused:
            self._write_paused = False
            self._protocol.resume_writing()
        return data

    # --- asyncio.Transport --------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        self._buffer += data
        self._data_event.set()
        if self._limit is not None and len(self._buffer) > self._limit and not self._write_paused:
            self._write_paused = True
            self._protocol.pause_writing()

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            asyncio.get_running_loop().call_soon(self._finish, None)

    def abort(self) -> None:
        self.aborted = True
        self.close()

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof_written = True
        self._data_event.set()

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def get_write_buffer_size(self) -> int:
        return len(self._buffer)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peername":
            return self._peer
        if name == "sockname":
            return ("127.0.0.1", 8000) if isinstance(self._peer, tuple) else self._peer
        return default

    def _finish(self, exc: Exception | None) -> None:
        self._closing = True
        if not self.closed.done():
            self.closed.set_result(None)
            self._data_event.set()
            self._protocol.connection_lost(exc)


def open_memory_connection(protocol: asyncio.Protocol, **kwargs: Any) -> MemoryTransport:
    """Attach ``protocol`` to a new ``MemoryTransport`` (must run inside a loop)."""
    return MemoryTransport(protocol, **kwargs)
