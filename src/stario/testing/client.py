"""``TestClient``: drive an app through the real HTTP/1.1 connection code, in memory.

Every request is serialized to bytes and fed to a production ``Connection`` over a
``MemoryTransport``; the answer is parsed back from the bytes the server wrote. So
app tests also exercise the parser, limits and framing that run in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, Unpack, overload

from stario.app import App
from stario.config import ServerConfig
from stario.errors import StarioError
from stario.headers import Headers
from stario.lifecycle import Bootstrap
from stario.telemetry import MemoryTracer, Tracer
from stario.testing.connection import ClientConnection
from stario.testing.cookies import CookieJar
from stario.testing.encoding import (
    ClientRequest,
    RequestOptions,
    encode_body,
    merge_url,
    origin_of,
)
from stario.testing.exchange import Exchange, RequestPlan, header_value
from stario.testing.redirects import follow, redirect_target
from stario.testing.response import Response, StreamingResponse
from stario.testing.serving import MemoryServer

if TYPE_CHECKING:
    from stario.testing.sync import SyncTestClient

__all__ = ["StreamContext", "TestClient"]

TracerT = TypeVar("TracerT", bound=Tracer)

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


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

    Each request opens a fresh connection and closes it after the response and
    once the handler has returned, so its span has ended when the call returns.
    ``connection()`` gives one raw connection for keep-alive and pipelining tests.
    URLs resolve against ``base_url`` as in a browser (``urljoin``).
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
            response = await exchange.read_whole()
            next_plan = follow(plan, response, history)
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

    def _plan(self, method: str, url: str, options: RequestOptions) -> RequestPlan:
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
        return RequestPlan(
            method=method.upper(),
            url=merge_url(self.base_url, url, options.get("params")),
            body=body,
            headers=headers,
            cookies=dict(options.get("cookies") or {}),
            follow=self.follow_redirects if follow is None else follow,
            timeout=options.get("timeout", 5.0),
        )

    def _prepare(self, plan: RequestPlan) -> ClientRequest:
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

    async def _open(self, plan: RequestPlan) -> Exchange:
        """Send ``plan`` on a new connection; return once the response head arrived."""
        self._check_running()
        request = self._prepare(plan)
        conn = self._server.open(self.client_address)
        exchange = Exchange(
            conn, request, plan, raise_server_exceptions=self.raise_server_exceptions
        )
        head = await exchange.start()
        _, host, path = origin_of(plan.url)
        self.cookies.extract(
            (v.decode("latin-1") for n, v in head.raw_headers if n.lower() == b"set-cookie"),
            host,
            path,
        )
        return exchange


class StreamContext:
    """What ``client.stream(...)`` returns: enter it for a ``StreamingResponse``."""

    def __init__(self, client: TestClient[Any], plan: RequestPlan) -> None:
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
            if redirect_target(plan, head.status_code, header_value(head, b"location")):
                response = await exchange.read_whole()
                next_plan = follow(plan, response, history)
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
