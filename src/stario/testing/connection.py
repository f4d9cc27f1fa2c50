"""``ClientConnection``: the client end of one in-memory connection to the app.

The server end is a real ``stario.http.connection.Connection`` on a
``MemoryTransport``: bytes sent here go through the production parser, limits and
framing. ``TestClient`` uses one per request; ``client.connection()`` hands one to a
test that wants to write and read raw bytes (pipelining, keep-alive, bad framing).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable
from types import TracebackType

from stario.config import ServerConfig
from stario.context import SpanSource
from stario.http.connection import Connection, Dispatch
from stario.http.registry import ConnectionRegistry
from stario.request import Request
from stario.telemetry import Span, Tracer
from stario.testing.decoding import decode_content
from stario.testing.encoding import Body
from stario.testing.errors import ProtocolError, ServerError
from stario.testing.parser import END, Event, ResponseHead, ResponseParser
from stario.testing.response import Response
from stario.testing.transport import MemoryTransport
from stario.writer import Writer

__all__ = ["ClientConnection", "HandlerRun"]


class HandlerRun:
    """One handler invocation on the server side: its span, task and completion."""

    __slots__ = ("done", "span", "task")

    def __init__(self, span: Span, task: asyncio.Task[object] | None) -> None:
        self.span = span
        self.task = task
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class ClientConnection:
    """Send request bytes to the app and read its response bytes, over one connection.

    ``send(data)`` delivers bytes as one socket read; ``await receive()`` waits for
    output (``b""`` once the server closed its side); ``await read_response(method)``
    parses the next response; ``close()`` disconnects the client, which the server
    sees as the peer going away. Use it as ``async with client.connection() as conn``.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        config: ServerConfig,
        tracer: Tracer,
        registry: ConnectionRegistry,
        *,
        peer: tuple[str, int] | str,
    ) -> None:
        self._inner = dispatch
        self.runs: list[HandlerRun] = []
        self._parser = ResponseParser()
        self._events: deque[Event] = deque()
        self._eof = False
        self.protocol = Connection(self._dispatch, config, tracer, registry)
        self.transport = MemoryTransport(self.protocol, peer=peer)

    async def _dispatch(self, req: Request, w: Writer, source: Span | SpanSource) -> None:
        # Started now, whatever the tracer: the client reads its events afterwards.
        span = source if isinstance(source, Span) else source.request_span()
        run = HandlerRun(span, asyncio.current_task())
        self.runs.append(run)
        try:
            await self._inner(req, w, span)
        finally:
            run.done.set_result(None)

    # --- raw bytes ----------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Deliver ``data`` to the server as one read (ignored after ``close()``)."""
        self.transport.feed(data)

    def close(self) -> None:
        """Disconnect the client; the server's handlers see the client go away."""
        self.transport.feed_eof()

    @property
    def server_closed(self) -> bool:
        """The server closed (or half-closed) its side of the connection."""
        return self.transport.eof_written or self.transport.closed.done()

    def take(self) -> bytes:
        """What the server wrote and was not read yet, without waiting."""
        return self._parser.take_unparsed() + self.transport.take()

    async def receive(self, timeout: float = 5.0) -> bytes:  # noqa: ASYNC109
        """Wait for server output and return it; ``b""`` means the server closed.

        Raises ``TimeoutError`` when nothing arrives within ``timeout`` seconds.
        """
        leftover = self._parser.take_unparsed()
        if leftover:
            return leftover
        data = await self._pull(asyncio.get_running_loop().time() + timeout)
        return data or b""

    async def receive_all(self, timeout: float = 5.0) -> bytes:  # noqa: ASYNC109
        """Everything the server writes until it closes its side."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        parts = [self._parser.take_unparsed()]
        while (data := await self._pull(deadline)) is not None:
            parts.append(data)
        return b"".join(parts)

    async def read_response(self, method: str = "GET", timeout: float = 5.0) -> Response:  # noqa: ASYNC109
        """Parse the next response, which answers a ``method`` request (HEAD: no body)."""
        deadline = asyncio.get_running_loop().time() + timeout
        self.expect(method)
        head, informational = await self.read_head(deadline)
        body = await self.read_body(deadline)
        content = decode_content(_header(head, b"content-encoding"), body)
        return Response(head, content, informational=informational)

    async def __aenter__(self) -> ClientConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- used by TestClient -------------------------------------------------------------

    def send_request(self, head: bytes, body: Body | None) -> asyncio.Task[None] | None:
        """Send a request; a streamed body is sent chunked by the returned task."""
        if body is None or body.stream is None:
            content = body.content if body is not None else None
            self.send(head + (content or b""))
            return None
        self.send(head)
        return asyncio.ensure_future(self._send_chunks(body.stream))

    async def _send_chunks(self, stream: AsyncIterable[bytes] | Iterable[bytes]) -> None:
        try:
            if isinstance(stream, AsyncIterable):
                async for chunk in stream:
                    self._send_chunk(chunk)
            else:
                for chunk in stream:
                    self._send_chunk(chunk)
                    await asyncio.sleep(0)  # let the handler see each chunk, like a socket would
        except BaseException:
            # The body can never complete: hang up, as a client process would.
            self.close()
            raise
        self.send(b"0\r\n\r\n")

    def _send_chunk(self, chunk: bytes | str) -> None:
        data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        if data:  # RFC 9112 §7.1: a zero-size chunk would end the body
            self.send(b"%x\r\n%b\r\n" % (len(data), data))

    def expect(self, method: str) -> None:
        """The next response answers a ``method`` request."""
        self._parser.begin(method)
        self._events.extend(self._parser.feed(b""))

    async def next_event(self, deadline: float) -> Event:
        """The next parser event, reading more bytes until ``deadline`` (loop time)."""
        while not self._events:
            if self._eof:
                raise ProtocolError("the connection is closed")
            data = await self._pull(deadline)
            if data is None:
                self._eof = True
                self._events.extend(self._parser.feed_eof())
            else:
                self._events.extend(self._parser.feed(data))
        return self._events.popleft()

    async def read_head(
        self, deadline: float, on_continue: Callable[[], None] | None = None
    ) -> tuple[ResponseHead, list[int]]:
        """The final response head and the 1xx statuses that came before it.

        ``on_continue`` runs when a ``100 Continue`` arrives (to send a held body).
        """
        informational: list[int] = []
        while True:
            event = await self.next_event(deadline)
            if not isinstance(event, ResponseHead):
                raise ProtocolError(f"expected a response head, got {event!r}")
            if not event.interim:
                return event, informational
            informational.append(event.status_code)
            if event.status_code == 100 and on_continue is not None:
                on_continue()
                on_continue = None

    async def read_body(self, deadline: float) -> bytes:
        """The rest of the current response body, as sent (transfer framing removed)."""
        parts: list[bytes] = []
        while (event := await self.next_event(deadline)) is not END:
            if not isinstance(event, bytes):
                raise ProtocolError(f"expected body bytes, got {event!r}")
            parts.append(event)
        return b"".join(parts)

    async def wait_handlers(self, deadline: float) -> None:
        """Wait (until ``deadline``) for this connection's handlers to return."""
        pending = [run.done for run in self.runs if not run.done.done()]
        if pending:
            remaining = deadline - asyncio.get_running_loop().time()
            await asyncio.wait(pending, timeout=max(remaining, 0.0))

    def server_error(self) -> ServerError | None:
        """The first handler exception recorded on a request span of this connection."""
        for run in self.runs:
            for event in run.span.events:
                if event.name == "exception":
                    attrs = event.attributes
                    return ServerError(
                        str(attrs.get("exception.type", "Exception")),
                        str(attrs.get("exception.message", "")),
                        event.body or "",
                    )
        return None

    async def _pull(self, deadline: float) -> bytes | None:
        """More bytes from the server; None at end of stream."""
        transport = self.transport
        if self.server_closed:
            return transport.take() or None
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining > 0:
            data = await transport.read(remaining)
            if data:
                return data
            if self.server_closed:
                return None
        raise TimeoutError("timed out waiting for the server")


def _header(head: ResponseHead, name: bytes) -> str | None:
    for key, value in head.raw_headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None
