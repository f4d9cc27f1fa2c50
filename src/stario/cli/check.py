"""``stario serve --check MODULE:ATTR``: run the bootstrap once without binding.

A pre-flight for releases and container builds: it imports the module, runs the
bootstrap's setup, compiles the routes, signals shutdown, waits for app tasks like
the server's drain, and runs the teardown. Nothing listens and no tracer starts.
Exit codes: 0 and ``ok: MODULE:ATTR`` on stdout; 1 when the bootstrap fails (the
error on stderr); usage errors (a bad ``MODULE:ATTR`` or option) stay 2.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from stario.config import ServerConfig

from .loader import describe_error, load_bootstrap

__all__ = ["run_check"]


def run_check(spec: str, config: ServerConfig) -> int:
    """Check the bootstrap at `spec`; return the exit code (`LoadError` propagates)."""
    bootstrap = load_bootstrap(spec)
    try:
        asyncio.run(_setup_and_teardown(bootstrap, config))
    except Exception as exc:
        print(f"stario: error: check failed: {spec}: {_message(exc)}", file=sys.stderr, flush=True)
        return 1
    print(f"ok: {spec}", flush=True)
    return 0


async def _setup_and_teardown(bootstrap: Callable[..., Any], config: ServerConfig) -> None:
    # Late imports: --help and argument errors never load the app machinery.
    from stario.app import App
    from stario.http.registry import ConnectionRegistry
    from stario.lifecycle import run_bootstrap
    from stario.shutdown import drain
    from stario.telemetry import NoopTracer

    app = App()
    with NoopTracer().start("server.check") as span:
        async with run_bootstrap(bootstrap, app, span):
            app.freeze()
            # The same order as the server: shutdown signal and drain, then teardown.
            await drain(app, ConnectionRegistry(), config.graceful_timeout, span)


def _message(exc: Exception) -> str:
    from stario.errors import StarioError

    if isinstance(exc, StarioError):
        return str(exc)  # says what to do, with an example
    return f"bootstrap raised {describe_error(exc)}"
