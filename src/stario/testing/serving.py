"""``MemoryServer``: the server side of ``TestClient``, without a socket.

It runs the same lifecycle as ``stario.server.Server``: bootstrap setup inside a
``server.startup`` span, route freezing, then on stop a ``server.shutdown`` span
around the graceful drain (shutdown signal, in-flight requests and app tasks get
``graceful_timeout``, the rest is cancelled), bootstrap teardown, tracer close.
"""

from __future__ import annotations

import contextlib

from stario.app import App
from stario.config import ServerConfig
from stario.errors import StarioError
from stario.http.registry import ConnectionRegistry
from stario.lifecycle import Bootstrap, run_bootstrap
from stario.shutdown import drain
from stario.telemetry import Span, Tracer
from stario.testing.connection import ClientConnection

__all__ = ["MemoryServer"]


class MemoryServer:
    """Bootstraps an app and opens in-memory connections to it."""

    def __init__(self, target: Bootstrap | App, config: ServerConfig, tracer: Tracer) -> None:
        self.app = target if isinstance(target, App) else App()
        self._bootstrap: Bootstrap | None = None if isinstance(target, App) else target
        self.config = config
        self.tracer = tracer
        self.registry = ConnectionRegistry()
        self._stack: contextlib.AsyncExitStack | None = None
        self._startup: Span | None = None
        self._started = False

    @property
    def running(self) -> bool:
        """Started and not stopped yet."""
        return self._stack is not None

    async def start(self) -> None:
        """Run bootstrap setup and freeze the routes; on failure, clean up and raise."""
        if self._started:
            raise StarioError(
                "a TestClient runs its app once",
                help="create a new TestClient for each `async with` / `with` block",
            )
        self._started = True
        stack = contextlib.AsyncExitStack()
        startup = self.tracer.start("server.startup", attributes=self.config.as_attributes())
        try:
            with startup:
                if self._bootstrap is not None:
                    await stack.enter_async_context(
                        run_bootstrap(self._bootstrap, self.app, startup)
                    )
                self.app.freeze()
        except BaseException:
            try:
                await stack.aclose()
            finally:
                self.tracer.close()
            raise
        self._stack = stack
        self._startup = startup

    def open(self, peer: tuple[str, int] | str) -> ClientConnection:
        """A new client connection to the app (inside the running loop)."""
        return ClientConnection(
            self.app.dispatch,
            self.config,
            self.tracer,
            self.registry,
            peer=peer,
        )

    async def stop(self) -> None:
        """Drain gracefully, run bootstrap teardown, close the tracer."""
        stack, self._stack = self._stack, None
        if stack is None:
            return
        links = (self._startup,) if self._startup is not None else ()
        try:
            with self.tracer.start("server.shutdown", links=links) as span:
                await drain(self.app, self.registry, self.config.graceful_timeout, span)
                await stack.aclose()  # teardown after the drain, as in production
        finally:
            self.tracer.close()
