"""The server over real sockets on 127.0.0.1 and Unix sockets; every wait is bounded."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from stario.app import App
from stario.config import ServerConfig
from stario.context import Context
from stario.errors import StarioError
from stario.server import Server
from stario.telemetry import NoopTracer
from stario.writer import Writer
from tests.http.httpkit import Response, parse_all

BOUND = 10.0  # seconds; a generous upper bound for any single wait


async def home(c: Context, w: Writer) -> None:
    w.respond("home", "text/plain")


async def whoami(c: Context, w: Writer) -> None:
    w.respond(str(c.req.client_port), "text/plain")


async def upload(c: Context, w: Writer) -> None:
    w.respond(str(len(await c.req.body())), "text/plain")


async def numbered(c: Context, w: Writer) -> None:
    n = int(c.route.params["n"])
    for _ in range((5 - n) * 10):  # earlier requests take longer to answer
        await asyncio.sleep(0)
    w.respond(str(n), "text/plain")


async def steps(c: Context, w: Writer) -> None:
    # Keep-alive requests start from the socket read in the connection's task; every
    # later step and a timeout must see that same task.
    first = asyncio.current_task()
    await asyncio.sleep(0)
    try:
        async with asyncio.timeout(0):
            await asyncio.sleep(BOUND)
    except TimeoutError:
        timed_out = True
    else:
        timed_out = False
    same = first is not None and first is asyncio.current_task()
    w.respond(f"same task {same}, timed out {timed_out}", "text/plain")


def make_app() -> App:
    app = App()
    app.get("/", home)
    app.get("/steps", steps)
    app.get("/who", whoami)
    app.post("/upload", upload)
    app.get("/n/{n}", numbered)
    return app


@asynccontextmanager
async def running(**config: Any) -> AsyncIterator[Server]:
    """Serve ``make_app()`` until the block ends; always shut down."""
    config.setdefault("port", 0)
    config.setdefault("graceful_timeout", 1.0)
    server = Server(make_app(), NoopTracer(), ServerConfig(**config), announce=lambda _: None)
    serving = asyncio.ensure_future(server.serve())
    started = asyncio.ensure_future(server.started())
    try:
        await asyncio.wait({serving, started}, timeout=BOUND, return_when="FIRST_COMPLETED")
        if serving.done():
            serving.result()  # raise what went wrong
        assert started.done(), "the server did not start"
        yield server
    finally:
        started.cancel()
        server.shutdown()
        await asyncio.wait_for(asyncio.shield(serving), BOUND)


async def connect(server: Server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    assert server.port is not None
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", server.port), BOUND)


async def read_responses(
    reader: asyncio.StreamReader, count: int, heads: tuple[bool, ...] = ()
) -> tuple[list[Response], bytes, bool]:
    """Read until ``count`` responses arrived or the server closed: (responses, raw, eof)."""
    data = b""
    eof = False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BOUND
    while True:
        parsed = parse_all(data, heads, eof=eof)
        if len(parsed) >= count or eof:
            return parsed, data, eof
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {count} responses, got {data[:200]!r}")
        try:
            chunk = await asyncio.wait_for(reader.read(65536), remaining)
        except ConnectionResetError:
            chunk = b""
        eof = not chunk
        data += chunk


async def wait_eof(reader: asyncio.StreamReader) -> bytes:
    """Read until the server closes the connection; return what it sent."""
    data = b""
    while True:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), BOUND)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def close(writer: asyncio.StreamWriter) -> None:
    writer.close()


# --- limits -----------------------------------------------------------------------------


async def test_header_cap_431_with_defaults() -> None:
    async with running() as server:
        reader, writer = await connect(server)
        try:
            fill = b"".join(b"X-Fill-%03d: %b\r\n" % (i, b"a" * 1000) for i in range(66))
            assert len(fill) > 65 * 1024
            writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n" + fill + b"\r\n")
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.status == 431
            assert resp.header("connection") == "close"
            await wait_eof(reader)
        finally:
            close(writer)


async def test_header_just_under_cap_is_served() -> None:
    async with running(max_request_header_bytes=1024) as server:
        reader, writer = await connect(server)
        try:
            head = b"GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n"
            writer.write(head.replace(b"X: ", b"X: " + b"v" * (1024 - len(head))))
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.status == 200
            assert resp.body == b"home"
        finally:
            close(writer)


async def test_declared_body_over_cap_413() -> None:
    async with running(max_request_body_bytes=1024) as server:
        reader, writer = await connect(server)
        try:
            writer.write(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n")
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.status == 413
            assert resp.header("connection") == "close"
        finally:
            close(writer)


async def test_chunked_body_over_cap_413() -> None:
    async with running(max_request_body_bytes=1024) as server:
        reader, writer = await connect(server)
        try:
            writer.write(b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(3):
                writer.write(b"200\r\n" + b"u" * 512 + b"\r\n")
            writer.write(b"0\r\n\r\n")
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.status == 413
            assert resp.header("connection") == "close"
        finally:
            close(writer)


async def test_413_reaches_a_client_still_sending_its_body() -> None:
    # The server must not reset the connection while unread upload bytes are queued.
    async with running(max_request_body_bytes=1024) as server:
        reader, writer = await connect(server)
        try:
            writer.write(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 262144\r\n\r\n")
            writer.write(b"b" * 262144)
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.status == 413
            assert resp.body == b"Payload Too Large"
        finally:
            close(writer)


async def test_body_within_cap_is_read() -> None:
    async with running(max_request_body_bytes=1024) as server:
        reader, writer = await connect(server)
        try:
            writer.write(b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            writer.write(b"200\r\n" + b"u" * 512 + b"\r\n200\r\n" + b"u" * 512 + b"\r\n0\r\n\r\n")
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.status == 200
            assert resp.body == b"1024"
        finally:
            close(writer)


async def test_body_stall_408() -> None:
    async with running(body_read_timeout=0.2) as server:
        reader, writer = await connect(server)
        try:
            writer.write(
                b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789"
            )
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.status == 408
            assert resp.header("connection") == "close"
        finally:
            close(writer)


async def test_slowloris_partial_head_is_closed() -> None:
    async with running(header_timeout=0.2, keep_alive_timeout=30) as server:
        reader, writer = await connect(server)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
            assert await wait_eof(reader) == b""
        finally:
            close(writer)


async def test_idle_keep_alive_connection_is_closed() -> None:
    async with running(keep_alive_timeout=0.2) as server:
        reader, writer = await connect(server)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.status == 200
            assert await wait_eof(reader) == b""
        finally:
            close(writer)


# --- reuse and ordering -------------------------------------------------------------------


async def test_keep_alive_handlers_keep_their_task_across_steps() -> None:
    async with running() as server:
        reader, writer = await connect(server)
        try:
            for _ in range(3):
                writer.write(b"GET /steps HTTP/1.1\r\nHost: a\r\n\r\n")
                (resp,), _, _ = await read_responses(reader, 1)
                assert resp.body == b"same task True, timed out True"
        finally:
            close(writer)


async def test_keep_alive_reuses_one_socket() -> None:
    async with running() as server:
        reader, writer = await connect(server)
        try:
            ports = set()
            for _ in range(4):
                writer.write(b"GET /who HTTP/1.1\r\nHost: a\r\n\r\n")
                (resp,), _, eof = await read_responses(reader, 1)
                assert resp.status == 200
                assert not eof
                assert resp.header("connection") is None
                ports.add(resp.body)
            local_port = writer.get_extra_info("sockname")[1]
            assert ports == {str(local_port).encode()}
        finally:
            close(writer)


async def test_pipelining_order_over_a_socket() -> None:
    async with running() as server:
        reader, writer = await connect(server)
        try:
            writer.write(
                b"".join(b"GET /n/%d HTTP/1.1\r\nHost: a\r\n\r\n" % n for n in range(5))
                + b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
                + b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            )
            heads = (False,) * 5 + (True, False)
            responses, _, _ = await read_responses(reader, 7, heads)
            assert [r.body for r in responses] == [b"0", b"1", b"2", b"3", b"4", b"", b"home"]
            assert responses[5].header("content-length") == "4"
            await wait_eof(reader)
        finally:
            close(writer)


async def test_pipelined_bad_request_answered_after_good_ones() -> None:
    async with running() as server:
        reader, writer = await connect(server)
        try:
            writer.write(
                b"GET /n/0 HTTP/1.1\r\nHost: a\r\n\r\n"
                b"GET /n/1 HTTP/1.1\r\nHost: a\r\n\r\n"
                b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n"
                b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
            )
            responses, raw, _ = await read_responses(reader, 3)
            assert [r.status for r in responses] == [200, 200, 400]
            assert [r.body for r in responses[:2]] == [b"0", b"1"]
            raw += await wait_eof(reader)
            assert raw.count(b"HTTP/1.1 ") == 3
        finally:
            close(writer)


# --- shutdown -------------------------------------------------------------------------------


async def test_shutdown_finishes_in_flight_request_and_closes() -> None:
    async with running(graceful_timeout=5.0) as server:
        idle_reader, idle_writer = await connect(server)
        reader, writer = await connect(server)
        try:
            idle_writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            (resp,), _, _ = await read_responses(idle_reader, 1)
            assert resp.status == 200
            writer.write(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")
            for _ in range(20):
                await asyncio.sleep(0)
            server.shutdown()
            assert await wait_eof(idle_reader) == b""  # idle keep-alive: closed at once
            writer.write(b"cd")
            (resp,), _, _ = await read_responses(reader, 1)
            assert resp.body == b"4"
            assert resp.header("connection") == "close"
            await wait_eof(reader)
        finally:
            close(idle_writer)
            close(writer)


# --- Unix sockets -------------------------------------------------------------------------


def read_text(path: Path) -> str:
    return path.read_text()


def exists(path: Path) -> bool:
    return os.path.lexists(path)


def _stale_socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()  # the file stays behind, nobody listens


@pytest.fixture
def sock_path(tmp_path: Path) -> Path:
    path = tmp_path / "s.sock"
    assert len(str(path)) < 100, "AF_UNIX paths are short"
    return path


async def test_unix_socket_serves_and_cleans_up(sock_path: Path) -> None:
    _stale_socket(sock_path)
    assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    async with running(unix_socket=str(sock_path), unix_socket_mode=0o600) as server:
        assert server.addresses == [f"unix:{sock_path}"]
        assert stat.S_IMODE(os.stat(sock_path).st_mode) == 0o600
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(sock_path)), BOUND)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
            responses, _, _ = await read_responses(reader, 2)
            assert [r.body for r in responses] == [b"home", b"home"]
        finally:
            close(writer)
    assert not exists(sock_path)


async def test_unix_socket_default_mode(sock_path: Path) -> None:
    async with running(unix_socket=str(sock_path)):
        assert stat.S_IMODE(os.stat(sock_path).st_mode) == 0o660
    assert not exists(sock_path)


@pytest.fixture
def regular_file(sock_path: Path) -> Path:
    sock_path.write_text("precious data")
    return sock_path


async def test_unix_socket_refuses_regular_file(regular_file: Path) -> None:
    sock_path = regular_file
    with pytest.raises(StarioError, match="not a socket"):
        async with running(unix_socket=str(sock_path)):
            pass
    assert read_text(sock_path) == "precious data"


async def test_unix_socket_in_use_is_refused(sock_path: Path) -> None:
    async with running(unix_socket=str(sock_path)):
        with pytest.raises(StarioError, match="in use"):
            async with running(unix_socket=str(sock_path)):
                pass
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)  # the live one is left alone


# --- the same scenarios under uvloop (the production default when installed) --------------

UVLOOP_SCENARIOS = [
    test_header_cap_431_with_defaults,
    test_declared_body_over_cap_413,
    test_chunked_body_over_cap_413,
    test_413_reaches_a_client_still_sending_its_body,
    test_body_stall_408,
    test_slowloris_partial_head_is_closed,
    test_idle_keep_alive_connection_is_closed,
    test_keep_alive_reuses_one_socket,
    test_keep_alive_handlers_keep_their_task_across_steps,
    test_pipelining_order_over_a_socket,
    test_pipelined_bad_request_answered_after_good_ones,
    test_shutdown_finishes_in_flight_request_and_closes,
]


@pytest.mark.parametrize("scenario", UVLOOP_SCENARIOS, ids=lambda f: f.__name__[5:])
def test_under_uvloop(scenario: Callable[[], Awaitable[None]]) -> None:
    uvloop = pytest.importorskip("uvloop")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(asyncio.wait_for(scenario(), 30))
