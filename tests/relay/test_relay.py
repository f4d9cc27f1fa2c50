"""Publishing and subscribing: delivery, counts, overlap, order, no loss after subscribe."""

from __future__ import annotations

import asyncio

import pytest

from stario.errors import StarioError
from stario.relay import Message, Relay, RelayClosed, Subscription


async def drain(sub: Subscription[object]) -> list[Message[object]]:
    """Everything queued right now (never waits)."""
    return [await anext(sub) for _ in range(sub.pending)]


async def test_publish_reaches_matching_subscribers_and_counts_them() -> None:
    relay = Relay[str]()
    room = relay.subscribe("chat.room1")
    everything = relay.subscribe("chat.*")
    other = relay.subscribe("chat.room2")
    assert relay.publish("chat.room1", "hi") == 2
    assert await anext(room) == Message("chat.room1", "hi")
    message = await anext(everything)
    assert (message.subject, message.data) == ("chat.room1", "hi")
    subject, data = message  # unpacks like a pair
    assert (subject, data) == ("chat.room1", "hi")
    assert other.pending == 0
    assert relay.publish("nobody.here", "x") == 0


async def test_one_message_object_is_shared_by_all_subscribers() -> None:
    relay = Relay[list[int]]()
    a, b = relay.subscribe("x"), relay.subscribe("x")
    relay.publish("x", [1])
    assert (await anext(a)) is (await anext(b))


async def test_overlapping_patterns_deliver_once() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("a.b.c", "a.b.*", "a.*", "*", "a.*")
    assert sub.patterns == ("a.b.c", "a.b.*", "a.*", "*")
    assert relay.publish("a.b.c", 1) == 1
    assert relay.publish("a.b", 2) == 1
    assert relay.publish("z", 3) == 1
    assert [m.data for m in await drain(sub)] == [1, 2, 3]  # type: ignore[arg-type]


async def test_order_is_fifo_per_subscriber_across_subjects() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("room.*")
    for n in range(500):
        relay.publish(f"room.{n % 7}", n)
    assert [m.data for m in await drain(sub)] == list(range(500))  # type: ignore[arg-type]


async def test_publish_right_after_subscribe_is_not_lost() -> None:
    relay = Relay[str]()
    sub = relay.subscribe("a")  # registered here, before anything awaits
    relay.publish("a", "first")
    async with relay.subscribe("a") as entered:
        relay.publish("a", "second")
        assert (await anext(entered)).data == "second"
    assert [m.data for m in await drain(sub)] == ["first", "second"]  # type: ignore[arg-type]


async def test_consumer_waiting_is_woken_by_publish_from_another_task() -> None:
    relay = Relay[int]()
    received: list[int] = []
    ready = asyncio.Event()

    async def consume() -> None:
        async with relay.subscribe("n") as sub:
            ready.set()
            async for message in sub:
                received.append(message.data)
                if message.data == 3:
                    return

    task = asyncio.create_task(consume())
    await ready.wait()
    for n in (1, 2, 3):
        relay.publish("n", n)
    await task
    assert received == [1, 2, 3]
    assert relay.subscription_count == 0


async def test_subscribe_needs_patterns_and_valid_limits() -> None:
    relay = Relay[int]()
    with pytest.raises(StarioError, match="at least one pattern"):
        relay.subscribe()
    with pytest.raises(StarioError, match="maxsize must be a positive int"):
        relay.subscribe("a", maxsize=0)
    with pytest.raises(StarioError, match="overflow must be one of"):
        relay.subscribe("a", overflow="block")  # type: ignore[arg-type]
    with pytest.raises(StarioError, match="maxsize"):
        Relay[int](maxsize=-1)
    assert relay.subscription_count == 0


async def test_defaults_and_per_subscription_overrides() -> None:
    relay = Relay[int](maxsize=8, overflow="drop_oldest")
    assert (relay.maxsize, relay.overflow) == (8, "drop_oldest")
    default = relay.subscribe("a")
    assert (default.maxsize, default.overflow) == (8, "drop_oldest")
    custom = relay.subscribe("a", maxsize=2, overflow="disconnect")
    assert (custom.maxsize, custom.overflow) == (2, "disconnect")
    plain = Relay[int]()
    assert (plain.maxsize, plain.overflow) == (1024, "disconnect")


async def test_two_consumers_on_one_subscription_is_an_error() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("a")
    first = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)  # let it start waiting
    with pytest.raises(StarioError, match="two tasks"):
        await anext(sub)
    relay.publish("a", 1)
    assert (await first).data == 1


async def test_closed_relay_ends_subscriptions_and_refuses_use() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("a")
    waiting = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)
    relay.publish("a", 1)  # queued, not yet received
    await relay.aclose()
    with pytest.raises(StopAsyncIteration):  # closing discards what was queued
        await waiting
    assert sub.closed
    assert sub.pending == 0
    assert relay.closed
    assert relay.subscription_count == 0
    with pytest.raises(StopAsyncIteration):
        await anext(sub)
    with pytest.raises(RelayClosed):
        relay.publish("a", 2)
    with pytest.raises(RelayClosed):
        relay.subscribe("a")
    with pytest.raises(RelayClosed):
        await relay.start()
    await relay.aclose()  # idempotent


async def test_aclose_wakes_a_waiting_consumer() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("a")
    waiting = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)
    await relay.aclose()
    with pytest.raises(StopAsyncIteration):
        await waiting


async def test_relay_as_async_context_manager() -> None:
    async with Relay[int]() as relay:
        sub = relay.subscribe("a")
        assert relay.publish("a", 1) == 1
    assert sub.closed
    assert relay.closed
    assert "closed" in repr(relay)
