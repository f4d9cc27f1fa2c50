"""``Exchange``: one test-client request in flight on its own in-memory connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from stario.headers import Headers
from stario.testing.connection import ClientConnection
from stario.testing.decoding import decode_content
from stario.testing.encoding import Body, ClientRequest
from stario.testing.errors import ProtocolError
from stario.testing.parser import END, ResponseHead
from stario.testing.response import Response

__all__ = ["Exchange", "RequestPlan", "header_value"]

T = TypeVar("T")


@dataclass(slots=True)
class RequestPlan:
    """One request to make: what the caller asked for, before the wire headers."""

    method: str
    url: str
    body: Body | None
    headers: Headers
    cookies: dict[str, str] = field(default_factory=dict)
    follow: bool = True
    timeout: float = 5.0


def header_value(head: ResponseHead, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) in ``head``."""
    for key, value in head.raw_headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class Exchange:
    """Sends one request, reads its answer, then disconnects and checks the server side.

    It is also the body source of a ``StreamingResponse``. ``finish()`` closes the
    connection, waits for the handler to return (so its span has ended) and, with
    ``raise_server_exceptions``, raises the handler's exception as ``ServerError``.
    """

    def __init__(
        self,
        conn: ClientConnection,
        request: ClientRequest,
        plan: RequestPlan,
        *,
        raise_server_exceptions: bool,
    ) -> None:
        self.conn = conn
        self.request = request
        self.plan = plan
        self.raise_server_exceptions = raise_server_exceptions
        self.feeder: asyncio.Task[None] | None = None
        self.head: ResponseHead | None = None
        self.informational: list[int] = []
        self.failure: ProtocolError | None = None
        self.finished = False

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.plan.timeout

    async def start(self) -> ResponseHead:
        """Send the request and wait for the final response head."""
        conn, plan, request = self.conn, self.plan, self.request
        conn.expect(request.method)
        on_continue: Callable[[], None] | None = None
        if plan.body is not None and _expects_continue(request):
            # RFC 9110 §10.1.1: hold the body until 100 Continue; never send it if the
            # final answer comes first.
            conn.send(request.head_bytes())

            def send_body() -> None:
                self.feeder = conn.send_request(b"", plan.body)

            on_continue = send_body
        else:
            self.feeder = conn.send_request(request.head_bytes(), plan.body)
        head, self.informational = await self._guarded(
            conn.read_head(self._deadline(), on_continue)
        )
        self.head = head
        return head

    async def read_whole(self) -> Response:
        """Read the rest of the body and return the complete response (then finish)."""
        head = self.head
        assert head is not None, "start() first"
        body = await self._guarded(self.conn.read_body(self._deadline()))
        content = decode_content(header_value(head, b"content-encoding"), body)
        response = Response(
            head,
            content,
            url=self.plan.url,
            request=self.request,
            informational=self.informational,
        )
        await self.finish()
        return response

    async def next_chunk(self) -> bytes | None:
        """The next body piece for a stream, or None at the end."""
        event = await self._guarded(self.conn.next_event(self._deadline()), finish=False)
        if event is END:
            return None
        if not isinstance(event, bytes):
            raise ProtocolError(f"expected body bytes, got {event!r}")
        return event

    async def close(self) -> None:
        """Disconnect (a stream was closed)."""
        await self.finish()

    async def _guarded(self, step: Awaitable[T], *, finish: bool = True) -> T:
        try:
            return await step
        except TimeoutError:
            if finish:
                await self.finish()
            raise TimeoutError(
                f"no complete response to {self.plan.method} {self.plan.url} "
                f"within {self.plan.timeout} s"
            ) from None
        except ProtocolError as exc:
            self.failure = exc
            if finish:
                await self.finish()
            raise
        except BaseException:
            self.abandon()
            raise

    def abandon(self) -> None:
        """Disconnect without waiting for anything (cancellation, errors in the test)."""
        self.finished = True
        self.conn.close()
        if self.feeder is not None:
            self.feeder.cancel()

    async def finish(self) -> None:
        """Disconnect, let the handler return, then surface server-side failures."""
        if self.finished:
            return
        self.abandon()
        await self.conn.wait_handlers(self._deadline())
        feeder = self.feeder
        if feeder is not None and feeder.done() and not feeder.cancelled():
            error = feeder.exception()
            if error is not None:
                raise error  # the request body iterator itself failed
        head = self.head
        failed = self.failure is not None or head is None or head.status_code >= 500
        if self.raise_server_exceptions and failed:
            server_error = self.conn.server_error()
            if server_error is not None:
                raise server_error from self.failure


def _expects_continue(request: ClientRequest) -> bool:
    return (request.headers.get("expect") or "").strip().lower() == "100-continue"
