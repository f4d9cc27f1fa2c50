"""Load generator for the connection and SSE parts: raw sockets on uvloop, one process.

Run by the suite pinned to the client CPU; it talks to the runner with JSON lines on
stdout and one-word commands on stdin::

    python loadgen.py idle --port P --count N
        opens N keep-alive connections, one GET /plaintext on each, then holds them.
        stdout: {"event": "connected", ...}; stdin "status" -> {"event": "status",
        "open": n}; stdin "quit" closes everything.

    python loadgen.py sse --port P --clients N --events M --interval-ms I --burst B
        opens N GET /sse streams; after stdin "go" it asks the server (POST /publish)
        for M events I ms apart, then for B events back to back, and prints
        {"event": "result", "paced": {...}, "burst": {...}}; stdin "quit" ends it.

Each event's data is ``<seq> <publish time>`` (system-wide monotonic nanoseconds), so
the delay from publish to receipt is measured on the one clock both processes share.
Only the standard library and uvloop are used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import sys
import time
from array import array
from collections.abc import Awaitable, Callable
from typing import Any, cast

import uvloop

HOST = "127.0.0.1"
CONNECT_CONCURRENCY = 256
EVENT = re.compile(rb"data: ?(\d+) (\d+)\r?\n")


def emit(**fields: Any) -> None:
    """One JSON line on stdout for the runner."""
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def raise_nofile(needed: int) -> None:
    """Lift the soft open-files limit as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


class Response:
    """Reads one HTTP response head (and a content-length body) from a byte stream."""

    __slots__ = ("buffer", "done", "headers", "rest", "status")

    def __init__(self) -> None:
        self.buffer = b""
        self.done = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self.rest = b""

    def feed(self, data: bytes, *, with_body: bool) -> bool:
        """Add bytes; True once the head (and, ``with_body``, the body) is complete."""
        self.buffer += data
        if not self.status:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return False
            lines = head.decode("latin-1").split("\r\n")
            self.status = int(lines[0].split(" ", 2)[1])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()
            self.buffer = rest
        if with_body and len(self.buffer) < int(self.headers.get("content-length", "0")):
            return False
        self.rest, self.buffer = self.buffer, b""
        self.done = True
        return True


class Client(asyncio.Protocol):
    """One connection: sends a request, then reports the head and any data after it."""

    __slots__ = ("_request", "closed", "head", "on_data", "ready", "transport", "with_body")

    def __init__(self, request: bytes, with_body: bool, on_data: Callable[[bytes], None]) -> None:
        self.head = Response()
        self.with_body = with_body
        self.on_data = on_data
        self.ready: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.transport: asyncio.Transport | None = None
        self._request = request

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        if self.head.done:
            self.on_data(data)
        elif self.head.feed(data, with_body=self.with_body):
            self.ready.set_result(self.head)
            if self.head.rest:
                self.on_data(self.head.rest)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before a response: {exc!r}"))


async def open_clients(
    port: int, count: int, make: Callable[[], Client], check: Callable[[Response], str | None]
) -> tuple[list[Client], dict[str, int]]:
    """Open ``count`` connections (bounded concurrency); keep those whose head passes ``check``."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients: list[Client] = []
    failures: dict[str, int] = {}

    async def one() -> None:
        async with gate:
            try:
                _, client = await asyncio.wait_for(loop.create_connection(make, HOST, port), 30)
                problem = check(await asyncio.wait_for(client.ready, 30))
            except (OSError, TimeoutError) as exc:
                problem = type(exc).__name__
            if problem is None:
                clients.append(client)
            else:
                failures[problem] = failures.get(problem, 0) + 1

    await asyncio.gather(*(one() for _ in range(count)))
    return clients, failures


def _ignore(data: bytes) -> None:
    pass


async def read_command() -> str:
    """The next line on stdin (``"quit"`` at end of input)."""
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return line.strip() or "quit"


# --- idle keep-alive connections ----------------------------------------------------------


async def idle(port: int, count: int) -> None:
    """Open ``count`` keep-alive connections, one answered request each, and hold them."""
    request = f"GET /plaintext HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    started = time.perf_counter()
    clients, failures = await open_clients(
        port,
        count,
        lambda: Client(request, True, _ignore),
        lambda r: None if r.status == 200 else f"status {r.status}",
    )
    emit(event="connected", ok=len(clients), failed=failures, seconds=time.perf_counter() - started)
    await _serve_commands(clients, {})


async def _serve_commands(
    clients: list[Client], actions: dict[str, Callable[[], Awaitable[None]]]
) -> None:
    while (command := await read_command()) != "quit":
        if command == "status":
            emit(event="status", open=sum(not c.closed for c in clients))
        elif command in actions:
            await actions[command]()
        else:
            emit(event="error", message=f"unknown command {command!r}")
    for client in clients:
        if client.transport is not None:
            client.transport.close()


# --- SSE fan-out ----------------------------------------------------------------------------


class Phase:
    """Receipts of events ``first .. first + count - 1`` across all clients."""

    __slots__ = (
        "count",
        "delays",
        "done",
        "expected",
        "first",
        "last_seen",
        "published",
        "received",
    )

    def __init__(self, first: int, count: int, clients: int) -> None:
        self.first = first
        self.count = count
        self.expected = count * clients
        self.received = 0
        self.delays = array("q")
        self.published = [0] * count
        self.last_seen = [0] * count
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def record(self, seq: int, published: int, now: int) -> None:
        """One event arrived at one client at ``now``."""
        index = seq - self.first
        if not 0 <= index < self.count:
            return
        self.delays.append(now - published)
        self.published[index] = published
        if now > self.last_seen[index]:
            self.last_seen[index] = now
        self.received += 1
        if self.received == self.expected and not self.done.done():
            self.done.set_result(None)

    def summary(self, clients: int) -> dict[str, Any]:
        """Delays (ms), delivered events per second and per-event fan-out time."""
        delays = sorted(self.delays)
        seen = [i for i in range(self.count) if self.last_seen[i]]
        span = (max(self.last_seen) - min(self.published[i] for i in seen)) if seen else 0
        fanout = sorted((self.last_seen[i] - self.published[i]) / 1e6 for i in seen)
        return {
            "expected": self.expected,
            "received": self.received,
            "p50_ms": _pct(delays, 0.50) / 1e6,
            "p99_ms": _pct(delays, 0.99) / 1e6,
            "max_ms": (delays[-1] / 1e6) if delays else float("nan"),
            "events_per_s": self.received / (span / 1e9) if span else 0.0,
            "fanout_median_ms": _pct(fanout, 0.5),
            "clients": clients,
        }


def _pct(values: list[int] | list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(values[min(len(values) - 1, int(q * len(values)))])


class Recorder:
    """The phase being measured, shared by every connection's ``Receiver``."""

    __slots__ = ("phase",)

    def __init__(self) -> None:
        self.phase: Phase | None = None


class Receiver:
    """Parses SSE bytes of one connection and records each event in the current phase."""

    __slots__ = ("recorder", "tail")

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.tail = b""

    def __call__(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buffer = self.tail + data if self.tail else data
        end = 0
        phase = self.recorder.phase
        for match in EVENT.finditer(buffer):
            end = match.end()
            if phase is not None:
                phase.record(int(match[1]), int(match[2]), now)
        # Keep an incomplete event for the next read; never let junk grow.
        self.tail = buffer[end:][-512:]


async def trigger(port: int, count: int, interval_ms: int, first: int) -> None:
    """Ask the server to publish (POST /publish) and check it accepted."""
    reader, writer = await asyncio.open_connection(HOST, port)
    target = f"/publish?count={count}&interval_ms={interval_ms}&first={first}"
    writer.write(
        f"POST {target} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    status = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    if b" 202 " not in status and b" 200 " not in status:
        raise RuntimeError(f"POST /publish answered {status!r}")


async def run_phase(
    port: int, recorder: Recorder, first: int, count: int, interval_ms: int, clients: int
) -> dict[str, Any]:
    """Publish ``count`` events and wait until every client has them (or a deadline)."""
    phase = Phase(first, count, clients)
    recorder.phase = phase
    cpu, wall = time.process_time(), time.perf_counter()
    await trigger(port, count, interval_ms, first)
    limit = count * interval_ms / 1000 + 30 + phase.expected / 20_000
    timed_out = False
    try:
        await asyncio.wait_for(asyncio.shield(phase.done), limit)
    except TimeoutError:
        timed_out = True
    # A client near 100 % CPU means the numbers measure this process, not the server.
    busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
    await asyncio.sleep(0.2)  # stragglers of this phase are still counted
    recorder.phase = None
    summary = phase.summary(clients)
    return {**summary, "timed_out": timed_out, "interval_ms": interval_ms, "client_cpu": busy}


async def sse(port: int, clients: int, events: int, interval_ms: int, burst: int) -> None:
    """Open the streams, then on ``go`` run the paced and the burst phase."""
    request = f"GET /sse HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode()

    def check(head: Response) -> str | None:
        if head.status != 200:
            return f"status {head.status}"
        if not head.headers.get("content-type", "").startswith("text/event-stream"):
            return "not text/event-stream"
        return None

    started = time.perf_counter()
    recorder = Recorder()
    opened, failures = await open_clients(
        port, clients, lambda: Client(request, False, Receiver(recorder)), check
    )
    emit(event="connected", ok=len(opened), failed=failures, seconds=time.perf_counter() - started)

    async def go() -> None:
        paced = await run_phase(port, recorder, 0, events, interval_ms, len(opened))
        fast = await run_phase(port, recorder, events, burst, 0, len(opened))
        emit(event="result", paced=paced, burst=fast, open=sum(not c.closed for c in opened))

    await _serve_commands(opened, {"go": go})


def main() -> None:
    """Parse the subcommand and run it on uvloop."""
    parser = argparse.ArgumentParser(description="raw-socket load generator for the suite")
    sub = parser.add_subparsers(dest="mode", required=True)
    idle_p = sub.add_parser("idle")
    idle_p.add_argument("--port", type=int, required=True)
    idle_p.add_argument("--count", type=int, required=True)
    sse_p = sub.add_parser("sse")
    sse_p.add_argument("--port", type=int, required=True)
    sse_p.add_argument("--clients", type=int, required=True)
    sse_p.add_argument("--events", type=int, default=20)
    sse_p.add_argument("--interval-ms", type=int, default=100)
    sse_p.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()
    if args.mode == "idle":
        raise_nofile(args.count + 256)
        uvloop.run(idle(args.port, args.count))
    else:
        raise_nofile(args.clients + 256)
        uvloop.run(sse(args.port, args.clients, args.events, args.interval_ms, args.burst))


if __name__ == "__main__":
    main()
