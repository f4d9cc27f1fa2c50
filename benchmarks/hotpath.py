"""CPU cost of one request through the real connection code, without sockets.

``python benchmarks/hotpath.py [--requests N] [--route plaintext|json|user|validate]
[--tracer noop|json|sqlite] [--profile | --once]`` feeds request bytes to a
``stario.http.connection.Connection`` on a transport that only records writes, on
uvloop, one request at a time (as a keep-alive client would), and prints microseconds
per request. The parser, the exchange, routing, the handler, the writer and the
event-loop hop to the handler all run as in production; only the kernel is left out.
``--profile`` prints the top of a cProfile report instead; ``--once`` makes one silent
run, for counting instructions under callgrind (see benchmarks/README.md). Use it to
see what a change to the hot path saves; ``run.py`` measures the server as clients
see it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "apps"))

from stario_app import get_user, json_hello, plaintext, post_validate

from stario import App, ServerConfig
from stario.http.connection import Connection
from stario.http.registry import ConnectionRegistry
from stario.server import GC_THRESHOLD
from stario.telemetry import JsonTracer, NoopTracer, SqliteTracer, Tracer

REQUESTS = {
    "plaintext": b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n",
    "json": b"GET /json HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n",
    "user": b"GET /user/42 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n",
    "validate": (
        b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
        b"Content-Type: application/json\r\nContent-Length: 24\r\n\r\n"
        b'{"name":"Ada","age":42}\n'
    ),
}


class CountingTransport(asyncio.Transport):
    """Records how many responses were written; wakes the driver on each one."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.waiter: asyncio.Future[None] | None = None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 50000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += 1
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass


def make_tracer(name: str, scratch: Path) -> Tracer:
    """``noop``, ``json`` (lines to a file) or ``sqlite`` (a fresh trace file)."""
    if name == "json":
        return JsonTracer(open(scratch / "trace.ndjson", "wb"))
    if name == "sqlite":
        (scratch / "trace.sqlite3").unlink(missing_ok=True)
        return SqliteTracer(str(scratch / "trace.sqlite3"))
    return NoopTracer()


async def drive(route: str, requests: int, tracer: Tracer) -> float:
    """Seconds for ``requests`` requests on one keep-alive connection, tracer flushed.

    Pin the process to one core (``taskset -c 0``) so a tracer's writer thread is
    counted in the elapsed time, as it shares the server's core in production.
    """
    # The collector's threshold `Server.serve()` sets: queued spans would otherwise
    # make the tracers look costlier than they are in a server.
    gc.set_threshold(max(gc.get_threshold()[0], GC_THRESHOLD))
    app = App()  # the route table of stario_app.py, without its relay
    app.get("/plaintext", plaintext)
    app.get("/json", json_hello)
    app.get("/user/{id}", get_user)
    app.post("/validate", post_validate)
    app.freeze()
    conn = Connection(app.dispatch, ServerConfig(), tracer, ConnectionRegistry())
    transport = CountingTransport()
    conn.connection_made(transport)
    loop = asyncio.get_running_loop()
    data = REQUESTS[route]
    start = time.perf_counter()
    for _ in range(requests):
        transport.waiter = waiter = loop.create_future()
        # From a loop callback, as a socket read arrives: no task is running.
        loop.call_soon(conn.data_received, data)
        await waiter
    tracer.close()  # writes out everything queued
    elapsed = time.perf_counter() - start
    conn.connection_lost(None)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--route", choices=sorted(REQUESTS), default="plaintext")
    parser.add_argument("--tracer", choices=("noop", "json", "sqlite"), default="noop")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--once", action="store_true", help="one run, no warm-up and no output (callgrind)"
    )
    args = parser.parse_args()
    import uvloop

    with tempfile.TemporaryDirectory() as scratch:

        def run(requests: int) -> float:
            return uvloop.run(drive(args.route, requests, make_tracer(args.tracer, Path(scratch))))

        if args.once:
            run(args.requests)
            return
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run(args.requests)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return
        run(2_000)  # warm-up
        best = min(run(args.requests) for _ in range(3))
    per_request = best / args.requests * 1e6
    print(f"{args.route} {args.tracer}: {per_request:.2f} µs/request (best of 3)")


if __name__ == "__main__":
    main()
