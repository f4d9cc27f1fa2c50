"""Seeded fuzzing of ``Connection`` with mutated requests (no sockets).

Every case is a valid request (or a pipelined pair) mutated by byte flips,
truncation, duplication, deletion and injected header lines, then fed in random
pieces. The handler reads the body and answers 404 to everything, so:

- ``data_received`` never raises and the event loop reports no stray errors;
- every response is complete and its status is 404 (a request that survived the
  mutation), 100 (interim, for ``Expect: 100-continue``), or one the server itself
  answers: 400 (framing), 413 (body cap), 417 (unknown expectation), 431 (head cap),
  505 (version), and 408 (a mutated length promises more body than is sent, the
  handler reads it and the stall timer fires);
- the connection always ends: it closes, or half-closes after an error answer,
  within a bounded time (tiny timeouts make every path finish quickly).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from stario.config import ServerConfig
from stario.errors import HttpException
from stario.http.connection import Connection
from stario.request import Request
from stario.telemetry import NoopTracer, Span
from stario.testing.transport import MemoryTransport
from stario.writer import Writer
from tests.http.httpkit import Response, parse_one

ALLOWED = {100, 400, 404, 408, 413, 417, 431, 505}
BATCHES = 8
CASES_PER_BATCH = 40
CASE_BOUND = 5.0

BASE = [
    b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"GET /a/b?c=d HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nCookie: x=1\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n",
    b"PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nxyz",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nok",
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"DELETE /item/7 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
]

INJECT_NAMES = [
    b"Content-Length",
    b"Transfer-Encoding",
    b"Host",
    b"Expect",
    b"Connection",
    b"Upgrade",
    b"X-Junk",
    b"X Bad",
    b"",
]
INJECT_VALUES = [
    b"0",
    b"1",
    b"99999999999999999999",
    b"-1",
    b"chunked",
    b"gzip, chunked",
    b"100-continue",
    b"close",
    b"upgrade",
    b"websocket",
    b"a\x00b",
    b"\x7f",
    b"a\rb",
    b"a\nb",
    b" leading",
    b"x" * 600,
]
SPECIAL = b"\r\n\x00 :;\t,\x7f0123456789abcdefABCDEF-/"


def _mutate_once(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return rng.choice(BASE)
    i = rng.randrange(len(data))
    j = rng.randrange(i, len(data) + 1)
    op = rng.randrange(7)
    if op == 0:  # flip to any byte
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]
    if op == 1:  # flip to a byte that matters to HTTP framing
        return data[:i] + bytes([rng.choice(SPECIAL)]) + data[i + 1 :]
    if op == 2:  # truncate
        return data[:i]
    if op == 3:  # duplicate a slice
        return data[:j] + data[i:j] + data[j:]
    if op == 4:  # delete a slice
        return data[:i] + data[j:]
    if op == 5:  # inject a header line after the request line
        line = rng.choice(INJECT_NAMES) + b": " + rng.choice(INJECT_VALUES) + b"\r\n"
        at = data.find(b"\r\n") + 2 if b"\r\n" in data else 0
        return data[:at] + line + data[at:]
    # random bytes in the middle
    noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
    return data[:i] + noise + data[i:]


def make_case(rng: random.Random) -> tuple[bytes, list[bytes]]:
    """A mutated request stream and the pieces it is fed in."""
    data = b"".join(rng.choice(BASE) for _ in range(rng.choice((1, 1, 2, 3))))
    for _ in range(rng.randrange(0, 4)):
        data = _mutate_once(rng, data)
    pieces = []
    rest = data
    while rest:
        cut = rng.choice((1, 2, 7, 40, len(rest)))
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return data, pieces


async def not_found(req: Request, w: Writer, span: Span) -> None:
    """Read the body, then answer 404 with an empty body (safe for HEAD too)."""
    try:
        await req.body()
    except HttpException as exc:
        w.respond(b"", "text/plain", exc.status)
        return
    w.respond(b"", "text/plain", 404)


CONFIG = ServerConfig(
    max_request_header_bytes=512,
    max_request_body_bytes=64,
    body_read_timeout=0.02,
    keep_alive_timeout=0.02,
    header_timeout=0.02,
    pipeline_backlog=2,
)


def split_responses(data: bytes) -> list[Response]:
    """Every response in ``data``; each must be complete and nothing may be left over."""
    out = []
    while data:
        parsed = parse_one(data, eof=True)
        assert parsed is not None, f"garbage after responses: {data[:80]!r}"
        resp, used = parsed
        assert resp.complete, f"truncated response: {data[:80]!r}"
        out.append(resp)
        data = data[used:]
    return out


async def run_case(rng: random.Random) -> tuple[bytes, list[int]]:
    data, pieces = make_case(rng)
    conn = Connection(not_found, CONFIG, NoopTracer())
    transport = MemoryTransport(conn)
    try:
        for piece in pieces:
            transport.feed(piece)  # raises here if data_received does
            if rng.random() < 0.5:
                await asyncio.sleep(0)
        output = b""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CASE_BOUND
        while not (transport.closed.done() or transport.eof_written):
            remaining = deadline - loop.time()
            assert remaining > 0, "the connection neither answered nor closed"
            output += await transport.read(timeout=remaining)
        output += transport.take()
        statuses = [r.status for r in split_responses(output)]
        assert set(statuses) <= ALLOWED, statuses
        return data, statuses
    except BaseException as exc:
        raise AssertionError(f"case {data!r} fed as {pieces!r}: {exc!r}") from exc
    finally:
        transport.feed_eof()


@pytest.mark.parametrize("batch", range(BATCHES), ids=[f"seed-{b}" for b in range(BATCHES)])
async def test_mutated_requests(batch: int) -> None:
    loop = asyncio.get_running_loop()
    loop_errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    rngs = [random.Random(batch * 1000 + i) for i in range(CASES_PER_BATCH)]
    results = await asyncio.gather(*(run_case(rng) for rng in rngs))
    assert loop_errors == []
    assert len(results) == CASES_PER_BATCH
    # The mutations must actually exercise both paths.
    statuses = {s for _, found in results for s in found}
    assert 404 in statuses


async def test_unmutated_requests_all_get_404() -> None:
    for raw in BASE:
        conn = Connection(not_found, CONFIG, NoopTracer())
        transport = MemoryTransport(conn)
        transport.feed(raw)
        output = b""
        while not (transport.closed.done() or transport.eof_written):
            output += await transport.read(timeout=CASE_BOUND)
        statuses = [r.status for r in split_responses(output + transport.take())]
        expected = [100, 404] if b"100-continue" in raw else [404]
        assert statuses in ([404], expected), raw
        transport.feed_eof()


def test_fuzz_statuses_seen_across_batches() -> None:
    """The seeded corpus reaches most server-made statuses (guards against a dull corpus)."""
    seen: set[int] = set()

    async def collect() -> None:
        for batch in range(BATCHES):
            rngs = [random.Random(batch * 1000 + i) for i in range(CASES_PER_BATCH)]
            for _, statuses in await asyncio.gather(*(run_case(rng) for rng in rngs)):
                seen.update(statuses)

    asyncio.run(collect())
    assert {400, 404, 413, 431} <= seen, seen
