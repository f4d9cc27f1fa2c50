"""The backend contract, exercised with MemoryBus: relays that behave like processes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest

from stario.errors import StarioError
from stario.relay import (
    JsonCodec,
    MemoryBackend,
    MemoryBus,
    Message,
    Relay,
    RelayBackend,
)


@dataclass(frozen=True)
class Point:
    x: int
    y: int


class PointCodec:
    def encode(self, data: Point) -> bytes:
        return f"{data.x},{data.y}".encode()

    def decode(self, payload: bytes) -> Point:
        x, y = payload.split(b",")
        return Point(int(x), int(y))


def test_memory_backend_implements_the_protocol() -> None:
    assert isinstance(MemoryBackend(), RelayBackend)
    assert not MemoryBackend().shared
    assert MemoryBus().backend().shared


def test_a_non_backend_is_refused() -> None:
    with pytest.raises(StarioError, match="must implement RelayBackend"):
        Relay[int](backend=object())  # type: ignore[arg-type]


async def test_local_relay_needs_no_start_and_never_encodes() -> None:
    relay = Relay[object]()  # MemoryBackend, not shared
    sub = relay.subscribe("a")
    unserializable = object()
    assert relay.publish("a", unserializable) == 1
    assert (await anext(sub)).data is unserializable


async def test_messages_cross_between_relays_on_a_bus() -> None:
    bus = MemoryBus()
    async with (
        Relay[dict[str, int]](backend=bus.backend()) as a,
        Relay[dict[str, int]](backend=bus.backend()) as b,
    ):
        on_b = b.subscribe("chat.*")
        on_a = a.subscribe("chat.*")
        assert a.publish("chat.room1", {"n": 1}) == 1  # only local ones count
        a.publish("chat.room2", {"n": 2})
        first, second = await anext(on_b), await anext(on_b)
        assert first == Message("chat.room1", {"n": 1})
        assert second == Message("chat.room2", {"n": 2})
        assert first.data is not (await anext(on_a)).data  # decoded, not shared
        # Everything the bus scheduled has arrived; a never got its own back.
        assert on_a.pending == 1
        b.publish("chat.room1", {"n": 3})
        assert (await anext(on_a)).data == {"n": 2}
        assert (await anext(on_a)).data == {"n": 3}


async def test_backend_hears_about_patterns_as_they_come_and_go() -> None:
    backend = MemoryBackend()
    relay = Relay[int](backend=backend)
    early = relay.subscribe("a.*", "b")
    await relay.start()  # patterns from before the start are announced
    assert backend.patterns == {"a.*", "b"}
    late = relay.subscribe("*", "b")
    assert backend.patterns == {"a.*", "b", "*"}
    early.close()
    assert backend.patterns == {"b", "*"}  # late still wants b
    late.close()
    assert backend.patterns == frozenset()
    await relay.start()  # idempotent


async def test_only_wanted_subjects_are_delivered_across() -> None:
    bus = MemoryBus()
    async with Relay[str](backend=bus.backend()) as a, Relay[str](backend=bus.backend()) as b:
        sub = b.subscribe("x")
        a.publish("chat.room1", "not for b")
        a.publish("x", "for b")
        assert (await anext(sub)).data == "for b"
        assert sub.pending == 0


async def test_shared_backend_must_be_started_before_publishing() -> None:
    relay = Relay[int](backend=MemoryBus().backend())
    with pytest.raises(StarioError, match="not started"):
        relay.publish("a", 1)
    sub = relay.subscribe("a")  # subscribing early is fine
    await relay.start()
    assert relay.publish("a", 1) == 1
    assert sub.pending == 1
    await relay.aclose()


async def test_custom_codec_round_trips() -> None:
    bus = MemoryBus()
    async with (
        Relay[Point](backend=bus.backend(), codec=PointCodec()) as a,
        Relay[Point](backend=bus.backend(), codec=PointCodec()) as b,
    ):
        sub = b.subscribe("pos")
        a.publish("pos", Point(3, 4))
        assert (await anext(sub)).data == Point(3, 4)


async def test_codec_failure_on_publish_delivers_nowhere() -> None:
    bus = MemoryBus()
    async with Relay[object](backend=bus.backend()) as a:
        local = a.subscribe("a")
        with pytest.raises(TypeError):
            a.publish("a", object())  # JsonCodec cannot encode it
        assert local.pending == 0


async def test_unreadable_incoming_messages_are_dropped_and_counted() -> None:
    bus = MemoryBus()
    raw = bus.backend()
    await raw.start(lambda subject, payload: None)
    async with Relay[str](backend=bus.backend()) as relay:
        sub = relay.subscribe("*")
        raw.publish("chat.room1", b"{not json")
        raw.publish("bad subject", json.dumps("x").encode())
        raw.publish("chat.room1", JsonCodec().encode("fine"))
        assert await anext(sub) == Message("chat.room1", "fine")
        assert relay.rejected == 2
    await raw.close()


async def test_closed_relay_leaves_the_bus() -> None:
    bus = MemoryBus()
    a = Relay[int](backend=bus.backend())
    b = Relay[int](backend=bus.backend())
    await a.start()
    await b.start()
    sub = b.subscribe("n")
    await b.aclose()
    a.publish("n", 1)
    await asyncio.sleep(0)  # one loop turn: when the bus would have delivered
    assert sub.closed
    assert b.rejected == 0
    await a.aclose()
