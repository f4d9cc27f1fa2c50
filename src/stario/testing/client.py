"""``TestClient``: drive an app through the real HTTP/1.1 connection code, in memory.

Every request is serialized to bytes and fed to a production ``Connection`` over a
``MemoryTransport``; the answer is parsed back from the bytes the server wrote. So
app tests also exercise the parser, limits and framing that run in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, Unpack, overload
from urllib.parse import urljoin, urlsplit

from stario.app import App
from stario.config import ServerConfig
from stario.errors import StarioError
from stario.headers import Headers
from stario.lifecycle import Bootstrap
from stario.telemetry import MemoryTracer, Tracer
from stario.testing.connection import ClientConnection
from stario.testing.cookies import CookieJar
from stario.testing.decoding import decode_content
from stario.testing.encoding import (
    Body,
    ClientRequest,
    RequestOptions,
    encode_body,
    merge_url,
    origin_of,
)
from stario.testing.errors import ProtocolError, TooManyRedirects
from stario.testing.parser import END, ResponseHead
from stario.testing.response import Response, StreamingResponse
from stario.testing.serving import MemoryServer

if TYPE_CHECKING:
    from stario.testing.sync import SyncTestClient

__all__ = ["StreamContext", "TestClient"]

TracerT = TypeVar("TracerT", bound=Tracer)

MAX_REDIRECTS = 20
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Headers that describe a body; dropped with it when a redirect turns into a GET.
_BODY_HEADERS = ("content-type", "content-length", "transfer-encoding")


@dataclass(slots=True)
class _Plan:
    """One request to make: what the caller asked for, before the wire headers."""

    method: str
    url: str
    body: Body | None
    headers: Headers
    cookies: dict[str, str] = field(default_factory=dict)
    follow: bool = True
    timeout: float = 5.0


class _Exchange:
    """One request in flight on its own connection; the body source of a stream."""

    def __init__(
        self, client: TestClient[Any], conn: ClientConnection, request: ClientRequest, plan: _Plan
    ) -> None:
        self.client = client
        self.conn = conn
        self.request = request
        self.plan = plan
        self.feeder: asyncio.Task[None] | None = None
        self.head: ResponseHead | None = None
        self.informational: list[int] = []
        self.failure: BaseException | None = None
        self.finished = False

    def deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.plan.timeout

    def timeout_error(self) -> TimeoutError:
        return TimeoutError(
            f"no complete response to {self.plan.method} {self.plan.url} "
            f"within {self.plan.timeout} s"
        )

    async def next_chunk(self) -> bytes | None:
        try:
            event = await self.conn.next_event(self.deadline())
        except TimeoutError:
            raise self.timeout_error() from None
        except ProtocolError as exc:
            self.failure = exc
            raise
        if event is END:
            return None
        if not isinstance(event, bytes):
            raise ProtocolError(f"expected body bytes, got {event!r}")
        return event

    async def close(self) -> None:
        await self.client._finish(self)


class TestClient(Generic[TracerT]):
    """Run an app's bootstrap and send it requests without a socket.

    ``async with TestClient(bootstrap) as client:`` runs the production bootstrap
    (setup, ``app.freeze()``); leaving the block drains like the server (shutdown
    signal, in-flight work and ``app.create_task`` tasks get ``graceful_timeout``),
    then runs teardown and closes the tracer. Request methods are coroutines there.

    ``with TestClient(bootstrap) as client:`` does the same on a private event loop
    in a background thread and gives a ``SyncTestClient`` whose methods return
    results directly, for plain (non-async) tests.

    ``tracer`` defaults to a ``MemoryTracer`` (``client.tracer.spans``). With
    ``raise_server_exceptions=True`` a handler exception that produced a 5xx or a
    truncated response is raised in the test as ``ServerError`` (read from the
    request span, so the tracer must record). Redirects are followed unless
    ``follow_redirects=False``; ``client`` is the peer address the app sees.
    """

    __test__ = False  # not a pytest test class, despite the name

    @overload
    def __init__(
        self: TestClient[MemoryTracer],
        target: Bootstrap | App,
        *,
        config: ServerConfig | None = None,
        tracer: None = None,
        base_url: str = "http://testserver",
        follow_redirects: bool = True,
        raise_server_exceptions: bool = False,
        client: tuple[str, int] | str = ("127.0.0.1", 50000),
    ) -> None: ...

    @overload
    def __init__(
        self,
        target: Bootstrap | App,
        *,
        config: ServerConfig | None = None,
        tracer: TracerT,
        base_url: str = "http://testserver",
        follow_redirects: bool = True,
        raise_server_exceptions: bool = False,
        client: tuple[str, int] | str = ("127.0.0.1", 50000),
    ) -> None: ...

    def __init__(
        self,
        target: Bootstrap | App,
        *,
        config: ServerConfig | None = None,
        tracer: Any = None,
        base_url: str = "http://testserver",
        follow_redirects: bool = True,
        raise_server_exceptions: bool = False,
        client: tuple[str, int] | str = ("127.0.0.1", 50000),
    ) -> None:
        self.config = config or ServerConfig()
        self.tracer: TracerT = MemoryTracer() if tracer is None else tracer  # type: ignore[assignment]
        self._server = MemoryServer(target, self.config, self.tracer)
        self.app = self._server.app
        self.base_url = base_url
        self.follow_redirects = follow_redirects
        self.raise_server_exceptions = raise_server_exceptions
        self.client_address = client
        self.cookies = CookieJar(origin_of(base_url)[1] or "testserver")
        self._sync: SyncTestClient[TracerT] | None = None

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self._server.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._server.stop()

    def __enter__(self) -> SyncTestClient[TracerT]:
        from stario.testing.sync import SyncTestClient

        sync = SyncTestClient(self)
        sync.start()
        self._sync = sync
        return sync

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        sync, self._sync = self._sync, None
        if sync is not None:
            sync.stop()

    def _check_running(self) -> None:
        if not self._server.running:
            raise StarioError(
                "the TestClient is not running",
                help="use it inside `async with TestClient(...) as client:` (or `with`)",
                example="async with TestClient(bootstrap) as client:\n"
                '    response = await client.get("/")',
            )

    # --- requests ------------------------------------------------------------------------

    async def request(self, method: str, url: str, **options: Unpack[RequestOptions]) -> Response:
        """Send one request and return the whole response (redirects followed)."""
        plan = self._plan(method, url, options)
        history: list[Response] = []
        while True:
            exchange = await self._open(plan)
            response = await self._read_whole(exchange)
            next_plan = self._follow(plan, response, history)
            if next_plan is None:
                response.history = history
                return response
            history.append(response)
            plan = next_plan

    async def get(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("GET", url, ...)``."""
        return await self.request("GET", url, **options)

    async def head(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("HEAD", url, ...)``."""
        return await self.request("HEAD", url, **options)

    async def options(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("OPTIONS", url, ...)``."""
        return await self.request("OPTIONS", url, **options)

    async def delete(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("DELETE", url, ...)``."""
        return await self.request("DELETE", url, **options)

    async def post(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("POST", url, ...)``."""
        return await self.request("POST", url, **options)

    async def put(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("PUT", url, ...)``."""
        return await self.request("PUT", url, **options)

    async def patch(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        """``request("PATCH", url, ...)``."""
        return await self.request("PATCH", url, **options)

    def stream(self, method: str, url: str, **options: Unpack[RequestOptions]) -> StreamContext:
        """``async with client.stream("GET", url) as response:`` reads the body as it comes.

        The block is entered once the head arrived (after following redirects);
        leaving it disconnects the client.
        """
        return StreamContext(self, self._plan(method, url, options))

    def connection(self) -> ClientConnection:
        """A raw connection to the app, for tests that write and read bytes themselves."""
        self._check_running()
        return self._server.open(self.client_address)

    # --- the exchange ----------------------------------------------------------------------

    def _plan(self, method: str, url: str, options: RequestOptions) -> _Plan:
        body = encode_body(
            json=options.get("json"),
            data=options.get("data"),
            files=options.get("files"),
            content=options.get("content"),
        )
        raw_headers = options.get("headers")
        headers = Headers()
        if raw_headers is not None:
            pairs = (
                raw_headers.items() if isinstance(raw_headers, Mapping | Headers) else raw_headers
            )
            for name, value in pairs:
                headers.add(name, value)
        follow = options.get("follow_redirects")
        return _Plan(
            method=method.upper(),
            url=merge_url(self.base_url, url, options.get("params")),
            body=body,
            headers=headers,
            cookies=dict(options.get("cookies") or {}),
            follow=self.follow_redirects if follow is None else follow,
            timeout=options.get("timeout", 5.0),
        )

    def _prepare(self, plan: _Plan) -> ClientRequest:
        netloc, host, path = origin_of(plan.url)
        headers = Headers()
        headers.add("host", netloc)
        headers.add("user-agent", "stario-testclient")
        body = plan.body
        if body is not None and body.stream is not None:
            headers.add("transfer-encoding", "chunked")
        elif body is not None:
            headers.add("content-length", str(len(body.content or b"")))
        elif plan.method in _BODY_METHODS:
            headers.add("content-length", "0")
        if body is not None and body.content_type:
            headers.add("content-type", body.content_type)
        cookies = {**self.cookies.header_for(host, path), **plan.cookies}
        if cookies:
            headers.add("cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        for name in plan.headers:
            headers.pop(name)
        for name, value in plan.headers.items():
            headers.add(name, value)
        content = body.content if body is not None else None
        return ClientRequest(plan.method, plan.url, headers, content)

    async def _open(self, plan: _Plan) -> _Exchange:
        self._check_running()
        request = self._prepare(plan)
        conn = self._server.open(self.client_address)
        exchange = _Exchange(self, conn, request, plan)
        conn.expect(request.method)
        on_continue = None
        if plan.body is not None and _expects_continue(request):
            # RFC 9110 §10.1.1: hold the body until 100 Continue; never send it if the
            # final answer comes first.
            conn.send(request.head_bytes())

            def on_continue() -> None:
                exchange.feeder = conn.send_request(b"", plan.body)

        else:
            exchange.feeder = conn.send_request(request.head_bytes(), plan.body)
        try:
            head, exchange.informational = await conn.read_head(exchange.deadline(), on_continue)
        except TimeoutError:
            await self._finish(exchange)
            raise exchange.timeout_error() from None
        except ProtocolError as exc:
            exchange.failure = exc
            await self._finish(exchange)
            raise
        except BaseException:
            self._abandon(exchange)
            raise
        exchange.head = head
        _, host, path = origin_of(plan.url)
        self.cookies.extract(
            (v.decode("latin-1") for n, v in head.raw_headers if n.lower() == b"set-cookie"),
            host,
            path,
        )
        return exchange

    async def _read_whole(self, exchange: _Exchange) -> Response:
        assert exchange.head is not None
        try:
            body = await exchange.conn.read_body(exchange.deadline())
        except TimeoutError:
            await self._finish(exchange)
            raise exchange.timeout_error() from None
        except ProtocolError as exc:
            exchange.failure = exc
            await self._finish(exchange)
            raise
        except BaseException:
            self._abandon(exchange)
            raise
        head = exchange.head
        encoding = next(
            (v.decode("latin-1") for n, v in head.raw_headers if n.lower() == b"content-encoding"),
            None,
        )
        response = Response(
            head,
            decode_content(encoding, body),
            url=exchange.plan.url,
            request=exchange.request,
            informational=exchange.informational,
        )
        await self._finish(exchange)
        return response

    def _abandon(self, exchange: _Exchange) -> None:
        # Cancellation or a bug in the test: disconnect without waiting for anything.
        exchange.finished = True
        exchange.conn.close()
        if exchange.feeder is not None:
            exchange.feeder.cancel()

    async def _finish(self, exchange: _Exchange) -> None:
        """Disconnect, let the handler return, then surface server-side failures."""
        if exchange.finished:
            return
        self._abandon(exchange)
        deadline = asyncio.get_running_loop().time() + exchange.plan.timeout
        await exchange.conn.wait_handlers(deadline)
        feeder = exchange.feeder
        if feeder is not None and feeder.done() and not feeder.cancelled():
            error = feeder.exception()
            if error is not None:
                raise error  # the request body iterator itself failed
        head = exchange.head
        failed = exchange.failure is not None or head is None or head.status_code >= 500
        if self.raise_server_exceptions and failed:
            server_error = exchange.conn.server_error()
            if server_error is not None:
                raise server_error from exchange.failure

    # --- redirects ----------------------------------------------------------------------

    def _follow(self, plan: _Plan, response: Response, history: list[Response]) -> _Plan | None:
        """The request a redirect leads to, or None when this response is final."""
        url = _redirect_target(plan, response.status_code, response.headers.get("location"))
        if url is None:
            return None
        if len(history) >= MAX_REDIRECTS:
            raise TooManyRedirects(
                f"more than {MAX_REDIRECTS} redirects from {(history or [response])[0].url}",
                [*history, response],
            )
        method, body = plan.method, plan.body
        # RFC 9110 §15.4: 303 (and, as browsers do, 301/302) turn into a GET; 307/308 keep all.
        if response.status_code in (301, 302, 303) and method != "HEAD":
            method, body = "GET", None
        if body is not None and body.stream is not None:
            raise StarioError(
                f"cannot resend a streamed request body after a {response.status_code} redirect",
                help="pass the body as bytes, or follow_redirects=False",
            )
        headers = Headers(plan.headers.items())
        if body is None:
            for name in _BODY_HEADERS:
                headers.pop(name)
        if origin_of(url)[1] != origin_of(plan.url)[1]:
            # SECURITY: credentials for one host never travel to another.
            headers.pop("authorization")
            headers.pop("cookie")
        return replace(plan, method=method, url=url, body=body, headers=headers)


def _redirect_target(plan: _Plan, status: int, location: str | None) -> str | None:
    """The absolute URL to follow, or None (not a redirect, not followed, not http)."""
    if not plan.follow or status not in (301, 302, 303, 307, 308) or location is None:
        return None
    url = urljoin(plan.url, location).partition("#")[0]
    return url if urlsplit(url).scheme in ("http", "https") else None


class StreamContext:
    """What ``client.stream(...)`` returns: enter it for a ``StreamingResponse``."""

    def __init__(self, client: TestClient[Any], plan: _Plan) -> None:
        self._client = client
        self._plan = plan
        self._response: StreamingResponse | None = None

    async def __aenter__(self) -> StreamingResponse:
        client, plan = self._client, self._plan
        history: list[Response] = []
        while True:
            exchange = await client._open(plan)
            head = exchange.head
            assert head is not None
            if _redirect_target(plan, head.status_code, _location(head)) is not None:
                response = await client._read_whole(exchange)
                next_plan = client._follow(plan, response, history)
                assert next_plan is not None
                history.append(response)
                plan = next_plan
                continue
            self._response = StreamingResponse(
                head,
                exchange,
                url=plan.url,
                request=exchange.request,
                history=history,
                informational=exchange.informational,
            )
            return self._response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            await self._response.aclose()


def _expects_continue(request: ClientRequest) -> bool:
    return (request.headers.get("expect") or "").strip().lower() == "100-continue"


def _location(head: ResponseHead) -> str | None:
    for name, value in head.raw_headers:
        if name.lower() == b"location":
            return value.decode("latin-1")
    return None
