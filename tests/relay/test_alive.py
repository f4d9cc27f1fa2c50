"""Relay inside a streaming handler: c.alive(relay.subscribe(...)) through the TestClient."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from stario import App, Context, Span, Writer
from stario.relay import Relay, RelayOverflow
from stario.testing import ServerSentEvent, TestClient


def make_bootstrap(relay: Relay[str], log: list[str], gate: asyncio.Event | None = None) -> Any:
    async def events(c: Context, w: Writer) -> None:
        room = c.route.params["room"]
        w.headers.set("content-type", "text/event-stream")
        # No await between this write and subscribe(): once the client has read
        # "ready", the subscription exists.
        w.write("event: ready\ndata: ok\n\n")
        sub = relay.subscribe(f"chat.{room}", f"chat.{room}.*")
        try:
            async for msg in c.alive(sub):
                w.write(f"event: {msg.subject}\ndata: {msg.data}\n\n")
                await w.drain()
        finally:
            # c.alive() closed the subscription although `sub` still refers to it.
            log.append(f"ended {room} closed={sub.closed}")

    async def slow(c: Context, w: Writer) -> None:
        w.headers.set("content-type", "text/event-stream")
        w.write("event: ready\ndata: ok\n\n")
        try:
            async for msg in c.alive(relay.subscribe("news", maxsize=2)):
                w.write(f"data: {msg.data}\n\n")
                await w.drain()
                assert gate is not None
                await gate.wait()  # a consumer that falls behind
        except RelayOverflow:
            # Tell the client to start over with fresh state, then end the stream.
            w.write("event: overflow\ndata: reconnect\n\n")
            log.append("overflow")

    async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
        app.get("/rooms/{room}/events", events)
        app.get("/slow", slow)
        yield
        log.append("teardown")

    return bootstrap


async def test_publish_reaches_the_stream_and_disconnect_unsubscribes() -> None:
    relay = Relay[str]()
    log: list[str] = []
    async with TestClient(make_bootstrap(relay, log)) as client:
        async with client.stream("GET", "/rooms/1/events") as response:
            events = response.iter_events()
            assert await anext(events) == ServerSentEvent(event="ready", data="ok")
            assert relay.subscription_count == 1
            assert relay.publish("chat.2", "elsewhere") == 0
            assert relay.publish("chat.1", "hello") == 1
            assert relay.publish("chat.1.typing", "ada") == 1
            assert await anext(events) == ServerSentEvent(event="chat.1", data="hello")
            assert await anext(events) == ServerSentEvent(event="chat.1.typing", data="ada")
        # Leaving the block disconnected the client; c.alive() closed the subscription.
        assert log == ["ended 1 closed=True"]
        assert relay.subscription_count == 0
        assert relay.publish("chat.1", "nobody") == 0


async def test_fan_out_to_several_streams() -> None:
    relay = Relay[str]()
    log: list[str] = []
    async with TestClient(make_bootstrap(relay, log)) as client:
        async with (
            client.stream("GET", "/rooms/1/events") as first,
            client.stream("GET", "/rooms/1/events") as second,
        ):
            streams = [first.iter_events(), second.iter_events()]
            for stream in streams:
                assert (await anext(stream)).event == "ready"
            assert relay.publish("chat.1", "to both") == 2
            for stream in streams:
                assert (await anext(stream)).data == "to both"
        assert relay.subscription_count == 0


async def test_server_shutdown_ends_the_stream_and_unsubscribes() -> None:
    relay = Relay[str]()
    log: list[str] = []
    client = TestClient(make_bootstrap(relay, log))
    async with client:
        stream = client.stream("GET", "/rooms/7/events")
        response = await stream.__aenter__()
        assert (await anext(response.iter_events())).event == "ready"
        assert relay.subscription_count == 1
    # Leaving the client shut the server down: c.alive() ended, then teardown ran.
    await stream.__aexit__(None, None, None)
    assert log == ["ended 7 closed=True", "teardown"]
    assert relay.subscription_count == 0


async def test_slow_stream_is_disconnected_by_overflow() -> None:
    relay = Relay[str]()
    log: list[str] = []
    gate = asyncio.Event()
    async with TestClient(make_bootstrap(relay, log, gate)) as client:
        async with client.stream("GET", "/slow") as response:
            events = response.iter_events()
            assert (await anext(events)).event == "ready"
            assert relay.publish("news", "1") == 1
            assert (await anext(events)).data == "1"  # the handler now waits at the gate
            assert [relay.publish("news", n) for n in "234"] == [1, 1, 0]
            assert relay.subscription_count == 0  # dropped at once, memory freed
            gate.set()
            rest = [event async for event in events]
        assert rest == [ServerSentEvent(event="overflow", data="reconnect")]
        assert log == ["overflow"]
