"""``Server``: bootstrap the app, listen, serve, and shut down gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import stat
import sys
from collections.abc import Callable
from typing import Any

from stario.app import App
from stario.config import ServerConfig
from stario.errors import StarioError
from stario.http.connection import Connection
from stario.http.registry import ConnectionRegistry
from stario.lifecycle import Bootstrap, run_bootstrap
from stario.shutdown import drain
from stario.telemetry import NoopTracer, Span, Tracer

__all__ = ["GC_THRESHOLD", "Server"]

GC_THRESHOLD = 20_000
"""The cyclic garbage collector's first threshold while a server runs (Python: 700)."""


def _announce(message: str) -> None:
    print(f"stario: {message}", file=sys.stderr, flush=True)


class Server:
    """The HTTP/1.1 server behind ``stario serve``, usable from code.

    ``await server.serve()`` runs bootstrap setup, binds, serves until
    ``shutdown()`` (or SIGINT/SIGTERM under ``run()``), drains, runs teardown and
    closes the tracer. ``run()`` does the same with its own event loop and returns
    a process exit code.
    """

    def __init__(
        self,
        bootstrap: Bootstrap | App,
        tracer: Tracer | None = None,
        config: ServerConfig | None = None,
        *,
        announce: Callable[[str], None] = _announce,
    ) -> None:
        self.bootstrap = bootstrap
        self.tracer: Tracer = tracer or NoopTracer()
        self.config = config or ServerConfig()
        self.app = bootstrap if isinstance(bootstrap, App) else App()
        self.registry = ConnectionRegistry()
        self.addresses: list[str] = []
        self.port: int | None = None
        self._announce = announce
        self._stop: asyncio.Event | None = None
        self._force: asyncio.Event | None = None
        self._servers: list[asyncio.Server] = []
        self._started: asyncio.Event | None = None
        self._socket_inode: int | None = None

    # --- public control -----------------------------------------------------------------

    def shutdown(self) -> None:
        """Begin a graceful shutdown; a second call skips the grace period."""
        if self._stop is None or self._force is None:
            return
        if self._stop.is_set():
            self._force.set()
        self._stop.set()

    async def started(self) -> None:
        """Wait until the server listens."""
        if self._started is None:
            self._started = asyncio.Event()
        await self._started.wait()

    def run(self) -> int:
        """Serve in a new event loop until a signal; return the exit code."""
        try:
            with _runner(self.config.loop) as runner:
                runner.run(self._serve_with_signals())
        except StarioError as exc:
            _announce(f"error: {exc}")
            return 1
        except KeyboardInterrupt:
            return 130
        except OSError as exc:
            _announce(f"error: {exc.strerror or exc}")
            return 1
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            _announce(f"error: bootstrap failed: {type(exc).__name__}: {exc}")
            return 1
        return 0

    async def _serve_with_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.shutdown)
        try:
            await self.serve()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    # --- the lifecycle ------------------------------------------------------------------

    async def serve(self) -> None:
        """Bootstrap, bind, serve until ``shutdown()``, drain, tear down."""
        self._stop = asyncio.Event()
        self._force = asyncio.Event()
        if self._started is None:
            self._started = asyncio.Event()
        thresholds = gc.get_threshold()
        # PERF: before bootstrap, so the app can set its own. Thousands of open streams
        # keep many objects alive at once; with the default first threshold (700) a
        # fan-out promotes short-lived objects to the oldest generation, and the full
        # collections that follow stall every client for hundreds of milliseconds.
        gc.set_threshold(max(thresholds[0], GC_THRESHOLD), *thresholds[1:])
        try:
            await self._lifecycle()
        finally:
            gc.set_threshold(*thresholds)
            self._cleanup_socket()
            self.tracer.close()

    async def _lifecycle(self) -> None:
        assert self._stop is not None
        assert self._started is not None
        async with contextlib.AsyncExitStack() as stack:
            startup = self.tracer.start("server.startup", attributes=self.config.as_attributes())
            with startup:
                # Bootstrap runs before binding: if it fails, nothing ever listens.
                await stack.enter_async_context(_bootstrapped(self.bootstrap, self.app, startup))
                self.app.freeze()
                await self._bind()
            self._started.set()
            await self._stop.wait()
            with self.tracer.start("server.shutdown", links=(startup,)) as span:
                await self._drain(span)
                await stack.aclose()  # bootstrap teardown, after the drain

    async def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = self.config

        def factory() -> Connection:
            return Connection(self.app.dispatch, cfg, self.tracer, self.registry)

        if cfg.unix_socket:
            path = cfg.unix_socket
            _clear_stale_socket(path)
            server = await loop.create_unix_server(factory, path, backlog=2048)
            # Remember which file is ours so cleanup never removes another server's.
            self._socket_inode = os.lstat(path).st_ino
            os.chmod(path, cfg.unix_socket_mode)
            self.addresses = [f"unix:{path}"]
        else:
            server = await loop.create_server(
                factory, cfg.host, cfg.port, reuse_address=True, backlog=2048
            )
            names = [s.getsockname() for s in server.sockets]
            self.port = int(names[0][1])
            self.addresses = [_url(name) for name in names]
        self._servers.append(server)
        for address in self.addresses:
            self._announce(f"listening on {address}")

    async def _drain(self, span: Span) -> None:
        for server in self._servers:
            server.close()
        await drain(self.app, self.registry, self.config.graceful_timeout, span, self._force)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=1.0)

    def _cleanup_socket(self) -> None:
        path = self.config.unix_socket
        if not path or self._socket_inode is None:
            return
        with contextlib.suppress(OSError):
            if _is_socket(path) and os.lstat(path).st_ino == self._socket_inode:
                os.unlink(path)


@contextlib.asynccontextmanager
async def _bootstrapped(bootstrap: Bootstrap | App, app: App, span: Span) -> Any:
    if isinstance(bootstrap, App):
        yield
        return
    async with run_bootstrap(bootstrap, app, span):
        yield


def _url(name: Any) -> str:
    host, port = name[0], name[1]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def _clear_stale_socket(path: str) -> None:
    """Remove a socket file nobody listens on; never touch anything else."""
    if not os.path.lexists(path):
        return
    if not _is_socket(path):
        raise StarioError(
            f"--unix-socket {path} exists and is not a socket; refusing to replace it",
            help="choose another path or remove the file yourself",
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)  # stale: left behind by a process that died
        return
    finally:
        probe.close()
    raise StarioError(
        f"--unix-socket {path} is in use by another running server",
        help="stop that server or choose another path",
    )


def _runner(loop: str) -> asyncio.Runner:
    if loop == "asyncio":
        return asyncio.Runner()
    try:
        import uvloop
    except ImportError:
        if loop == "uvloop":
            raise StarioError(
                "--loop uvloop needs the uvloop package", help="pip install 'stario[uvloop]'"
            ) from None
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)
