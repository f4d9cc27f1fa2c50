"""The synchronous face of ``TestClient``: the app runs on a private loop in a thread.

``with TestClient(bootstrap) as client:`` starts an event loop in a background
thread, runs bootstrap there and returns a ``SyncTestClient``. Each call hands a
coroutine to that loop and blocks until it is done, so the app keeps running
between calls (background tasks, streams) exactly as under a real server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Unpack

from stario.errors import StarioError
from stario.telemetry import Tracer
from stario.testing.connection import ClientConnection
from stario.testing.response import Response, ResponseBase, StreamingResponse
from stario.testing.sse import ServerSentEvent

if TYPE_CHECKING:
    from stario.app import App
    from stario.testing.client import StreamContext, TestClient
    from stario.testing.cookies import CookieJar
    from stario.testing.encoding import RequestOptions

__all__ = ["SyncClientConnection", "SyncStreamContext", "SyncStreamingResponse", "SyncTestClient"]

T = TypeVar("T")
TracerT = TypeVar("TracerT", bound=Tracer)


class _Portal:
    """An event loop running in a daemon thread, and a way to run coroutines on it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=self._main, name="stario-testclient", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def _main(self) -> None:
        # asyncio.Runner cancels leftover tasks and closes async generators on exit.
        with asyncio.Runner() as runner:
            runner.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        self._ready.set()
        await self._stop

    @property
    def running(self) -> bool:
        return self._loop is not None and self._thread.is_alive()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop thread and return its result (or raise)."""
        if self._loop is None or not self.running:
            coro.close()
            raise StarioError("the TestClient is not running", help="use it inside `with`")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def call_soon(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the loop thread (transport work must happen there)."""

        async def run() -> T:
            return fn()

        return self.call(run())

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and self._thread.is_alive():
            loop.call_soon_threadsafe(_resolve, stop)
            self._thread.join()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_DONE = object()


async def _next(agen: AsyncIterator[T]) -> T | object:
    try:
        return await anext(agen)
    except StopAsyncIteration:
        return _DONE


async def _close(agen: AsyncIterator[Any]) -> None:
    closer = getattr(agen, "aclose", None)
    if closer is not None:
        await closer()


def _iterate(portal: _Portal, agen: AsyncIterator[T]) -> Iterator[T]:
    try:
        while True:
            item = portal.call(_next(agen))
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        if portal.running:
            portal.call(_close(agen))


class SyncStreamingResponse(ResponseBase):
    """``StreamingResponse`` with plain iterators (``for chunk in r.iter_bytes()``)."""

    def __init__(self, inner: StreamingResponse, portal: _Portal) -> None:
        self.status_code = inner.status_code
        self.reason_phrase = inner.reason_phrase
        self.http_version = inner.http_version
        self.raw_headers = inner.raw_headers
        self.headers = inner.headers
        self.url = inner.url
        self.request = inner.request
        self.history = inner.history
        self.informational = inner.informational
        self._inner = inner
        self._portal = portal

    @property
    def is_closed(self) -> bool:
        """Whether the client disconnected from this response."""
        return self._inner.is_closed

    def iter_raw(self) -> Iterator[bytes]:
        """Body pieces as they arrive, still content-encoded."""
        return _iterate(self._portal, self._inner.iter_raw())

    def iter_bytes(self) -> Iterator[bytes]:
        """Body pieces as they arrive, with ``Content-Encoding`` undone."""
        return _iterate(self._portal, self._inner.iter_bytes())

    def iter_text(self, encoding: str | None = None) -> Iterator[str]:
        """Body text as it arrives."""
        return _iterate(self._portal, self._inner.iter_text(encoding))

    def iter_lines(self) -> Iterator[str]:
        """Body lines as they complete, without line endings."""
        return _iterate(self._portal, self._inner.iter_lines())

    def iter_events(self) -> Iterator[ServerSentEvent]:
        """Server-sent events as they are dispatched."""
        return _iterate(self._portal, self._inner.iter_events())

    def read(self) -> bytes:
        """The rest of the body, with ``Content-Encoding`` undone."""
        return self._portal.call(self._inner.read())

    def close(self) -> None:
        """Disconnect from the server (safe to call twice)."""
        if self._portal.running:
            self._portal.call(self._inner.aclose())


class SyncStreamContext:
    """What ``SyncTestClient.stream(...)`` returns: ``with`` it for the response."""

    def __init__(self, inner: StreamContext, portal: _Portal) -> None:
        self._inner = inner
        self._portal = portal

    def __enter__(self) -> SyncStreamingResponse:
        return SyncStreamingResponse(self._portal.call(self._inner.__aenter__()), self._portal)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._portal.call(self._inner.__aexit__(exc_type, exc, tb))


class SyncClientConnection:
    """``ClientConnection`` with blocking methods; see there."""

    def __init__(self, inner: ClientConnection, portal: _Portal) -> None:
        self.inner = inner
        self._portal = portal

    def send(self, data: bytes) -> None:
        """Deliver ``data`` to the server as one read."""
        self._portal.call_soon(lambda: self.inner.send(data))

    def close(self) -> None:
        """Disconnect the client."""
        if self._portal.running:
            self._portal.call_soon(self.inner.close)

    @property
    def server_closed(self) -> bool:
        """The server closed (or half-closed) its side."""
        return self._portal.call_soon(lambda: self.inner.server_closed)

    def take(self) -> bytes:
        """What the server wrote and was not read yet, without waiting."""
        return self._portal.call_soon(self.inner.take)

    def receive(self, timeout: float = 5.0) -> bytes:
        """Wait for server output; ``b""`` means the server closed."""
        return self._portal.call(self.inner.receive(timeout))

    def receive_all(self, timeout: float = 5.0) -> bytes:
        """Everything the server writes until it closes its side."""
        return self._portal.call(self.inner.receive_all(timeout))

    def read_response(self, method: str = "GET", timeout: float = 5.0) -> Response:
        """Parse the next response, which answers a ``method`` request."""
        return self._portal.call(self.inner.read_response(method, timeout))

    def __enter__(self) -> SyncClientConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SyncTestClient(Generic[TracerT]):
    """The blocking client returned by ``with TestClient(...) as client``.

    Same methods as ``TestClient``, returning results instead of coroutines;
    ``run(coro)`` runs any coroutine on the app's loop (e.g. to publish to a relay).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, client: TestClient[TracerT]) -> None:
        self.client = client
        self._portal = _Portal()

    def start(self) -> None:
        """Start the loop thread and run bootstrap on it."""
        self._portal.start()
        try:
            self._portal.call(self.client.__aenter__())
        except BaseException:
            self._portal.stop()
            raise

    def stop(self) -> None:
        """Drain, run teardown, stop the loop thread."""
        try:
            self._portal.call(self.client.__aexit__(None, None, None))
        finally:
            self._portal.stop()

    @property
    def app(self) -> App:
        """The app under test."""
        return self.client.app

    @property
    def tracer(self) -> TracerT:
        """The tracer that records the app's spans."""
        return self.client.tracer

    @property
    def cookies(self) -> CookieJar:
        """The cookie jar shared by every request."""
        return self.client.cookies

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the app's event loop and return its result."""
        return self._portal.call(coro)

    def request(self, method: str, url: str, **options: Unpack[RequestOptions]) -> Response:
        """Send one request and return the whole response (redirects followed)."""
        return self._portal.call(self.client.request(method, url, **options))

    def get(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("GET", url, ...)``."""
        return self.request("GET", url, **options)

    def head(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("HEAD", url, ...)``."""
        return self.request("HEAD", url, **options)

    def options(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("OPTIONS", url, ...)``."""
        return self.request("OPTIONS", url, **options)

    def delete(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("DELETE", url, ...)``."""
        return self.request("DELETE", url, **options)

    def post(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("POST", url, ...)``."""
        return self.request("POST", url, **options)

    def put(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("PUT", url, ...)``."""
        return self.request("PUT", url, **options)

    def patch(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("PATCH", url, ...)``."""
        return self.request("PATCH", url, **options)

    def stream(self, method: str, url: str, **options: Unpack[RequestOptions]) -> SyncStreamContext:
        """``with client.stream("GET", url) as response:`` reads the body as it comes."""
        return SyncStreamContext(self.client.stream(method, url, **options), self._portal)

    def connection(self) -> SyncClientConnection:
        """A raw connection to the app (blocking methods)."""
        return SyncClientConnection(self._portal.call_soon(self.client.connection), self._portal)
