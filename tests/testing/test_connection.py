"""client.connection(): raw bytes over one connection (pipelining, keep-alive, errors)."""

from __future__ import annotations

import asyncio

import pytest

from stario.telemetry import MemoryTracer
from stario.testing import TestClient

from .demo import Log

Client = TestClient[MemoryTracer]


async def test_keep_alive_then_pipelined_requests(client: Client) -> None:
    async with client.connection() as conn:
        conn.send(b"GET /text HTTP/1.1\r\nHost: a\r\n\r\n")
        first = await conn.read_response()
        assert first.text == "hello"
        conn.send(
            b"GET /text HTTP/1.1\r\nHost: a\r\n\r\n"
            b"HEAD /text HTTP/1.1\r\nHost: a\r\n\r\n"
            b"GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n"
        )
        second = await conn.read_response()
        third = await conn.read_response("HEAD")
        fourth = await conn.read_response()
        assert [second.text, third.content, fourth.status_code] == ["hello", b"", 404]
        assert not conn.server_closed


async def test_bad_request_is_answered_then_closed(client: Client) -> None:
    async with client.connection() as conn:
        conn.send(b"GET /text HTTP/1.1\r\n\r\n")  # HTTP/1.1 without Host
        data = await conn.receive_all()
    assert data.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close" in data.lower()


async def test_expect_continue_is_reported(client: Client) -> None:
    async with client.connection() as conn:
        conn.send(
            b"POST /json HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
            b"Expect: 100-continue\r\ncontent-type: application/json\r\n\r\n"
        )
        interim = await conn.receive()
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.send(b"{}")
        response = await conn.read_response()
    assert response.json() == {}


async def test_informational_responses_are_listed(client: Client) -> None:
    response = await client.post(
        "/json", content=b"[1]", headers={"expect": "100-continue", "content-type": "x/y"}
    )
    assert response.informational == [100]
    assert response.json() == [1]


async def test_expect_continue_body_is_not_sent_when_the_answer_comes_first(
    client: Client,
) -> None:
    response = await client.post(
        "/background", content=b"unused", headers={"expect": "100-continue"}
    )
    assert (response.informational, response.text) == ([], "started")


async def test_receive_times_out_when_nothing_comes(client: Client) -> None:
    async with client.connection() as conn:
        with pytest.raises(TimeoutError):
            await conn.receive(timeout=0.01)
        assert conn.take() == b""


async def test_close_disconnects(client: Client, log: Log) -> None:
    conn = client.connection()
    conn.send(b"GET /sse HTTP/1.1\r\nHost: a\r\n\r\n")
    assert (await conn.receive()).startswith(b"HTTP/1.1 200 OK\r\n")
    assert not log.disconnected.is_set()
    conn.close()
    await asyncio.wait_for(log.disconnected.wait(), 5)
    assert log.events == ["setup", "sse ended"]
