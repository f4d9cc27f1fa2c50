"""Unsubscribing: every way a consumer ends, under concurrency, at scale."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from stario.relay import MemoryBackend, Message, Relay


async def test_close_discards_queue_and_ends_iteration() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("a")
    relay.publish("a", 1)
    sub.close()
    sub.close()  # idempotent
    assert sub.closed
    assert sub.pending == 0
    assert relay.publish("a", 2) == 0  # never to a closed subscription
    assert sub.pending == 0
    with pytest.raises(StopAsyncIteration):
        await anext(sub)
    assert relay.subscription_count == 0


async def test_aclose_unsubscribes() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("a")
    await sub.aclose()
    assert sub.closed
    assert relay.subscription_count == 0
    assert "closed" in repr(sub)


async def test_async_with_unsubscribes_on_exit_and_on_error() -> None:
    relay = Relay[int]()
    async with relay.subscribe("a") as sub:
        assert relay.subscription_count == 1
    assert sub.closed
    with pytest.raises(KeyError):
        async with relay.subscribe("a"):
            raise KeyError("boom")
    assert relay.subscription_count == 0


async def test_bare_async_for_unsubscribes_on_break() -> None:
    relay = Relay[int]()
    relay.publish("a", 0)  # before the subscription: not delivered
    asyncio.get_running_loop().call_soon(relay.publish, "a", 1)
    inside = -1
    async for message in relay.subscribe("a", "b"):
        inside = relay.subscription_count
        assert message.data == 1
        break
    assert inside == 1
    # The loop dropped its only reference: the subscription is gone.
    assert relay.subscription_count == 0
    assert relay.publish("a", 2) == 0


@pytest.fixture
def relay() -> Relay[int]:
    return Relay[int]()


async def test_bare_async_for_unsubscribes_when_the_body_raises(relay: Relay[int]) -> None:
    sub = relay.subscribe("a")
    relay.publish("a", 1)

    async def consume() -> None:
        async for _ in sub:
            raise ValueError("handler bug")

    with pytest.raises(ValueError, match="handler bug"):
        await consume()
    sub.close()  # explicit code still holds `sub`; closing is what frees it
    assert relay.subscription_count == 0

    async def consume_fresh() -> None:
        relay.publish("b", 1)  # not yet subscribed: not delivered
        async for _ in relay.subscribe("b"):
            raise ValueError("again")

    task = asyncio.create_task(consume_fresh())
    await asyncio.sleep(0)
    assert relay.subscription_count == 1
    relay.publish("b", 2)
    with pytest.raises(ValueError, match="again"):
        await task
    assert relay.subscription_count == 0


async def test_cancelled_consumer_unsubscribes() -> None:
    relay = Relay[int]()
    waiting = asyncio.Event()

    async def consume() -> None:
        async with relay.subscribe("a") as sub:
            waiting.set()
            async for _ in sub:
                pass

    task = asyncio.create_task(consume())
    await waiting.wait()
    assert relay.subscription_count == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert relay.subscription_count == 0
    assert relay.publish("a", 1) == 0


async def test_cancelled_receive_keeps_the_queue_intact() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("a")
    receive = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)
    receive.cancel()
    with pytest.raises(asyncio.CancelledError):
        await receive
    relay.publish("a", 1)
    relay.publish("a", 2)
    assert [(await anext(sub)).data for _ in range(2)] == [1, 2]


async def test_unsubscribing_others_and_self_from_inside_a_delivery_loop() -> None:
    relay = Relay[int]()
    victim = relay.subscribe("t")
    ended: list[str] = []

    async def killer() -> None:
        async with relay.subscribe("t") as sub:
            async for message in sub:
                if message.data == 1:
                    victim.close()
                    relay.publish("t", 99)  # publishing from within a subscriber
                if message.data == 99:
                    sub.close()
        ended.append("killer")

    async def victim_loop() -> None:
        async for _ in victim:
            pass
        ended.append("victim")

    tasks = [asyncio.create_task(killer()), asyncio.create_task(victim_loop())]
    await asyncio.sleep(0)
    relay.publish("t", 1)
    relay.publish("t", 2)
    await asyncio.gather(*tasks)
    assert sorted(ended) == ["killer", "victim"]
    assert relay.subscription_count == 0


async def test_churn_while_publishing_never_raises_or_leaks() -> None:
    rng = random.Random(1234)
    sequence = itertools.count(1)
    backend = MemoryBackend()
    relay = Relay[int](backend=backend)
    await relay.start()
    subjects = ["room.1", "room.2", "room.1.typing", "lobby", "room.2.x.y"]
    choices = ["room.1", "room.*", "room.1.*", "*", "lobby", "room.2.x.*"]
    errors: list[BaseException] = []
    received = 0

    async def consumer(seed: int) -> None:
        nonlocal received
        local = random.Random(seed)
        patterns = local.sample(choices, local.randint(1, 3))
        stop_after = local.randint(0, 30)
        last = -1
        async with relay.subscribe(*patterns, overflow="drop_oldest", maxsize=8) as sub:
            async for message in sub:
                assert isinstance(message, Message)
                assert message.data > last  # FIFO, even with drops
                last = message.data
                received += 1
                if local.random() < 0.1:
                    relay.publish(local.choice(subjects), next(sequence))  # from within
                if stop_after == 0:
                    break
                stop_after -= 1
            assert not sub.closed or sub.pending == 0

    async def guarded(seed: int) -> None:
        try:
            await consumer(seed)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    tasks: list[asyncio.Task[None]] = []
    for round_ in range(200):
        for _ in range(rng.randint(0, 3)):
            tasks.append(asyncio.create_task(guarded(round_ * 10 + len(tasks))))
        for _ in range(rng.randint(1, 5)):
            relay.publish(rng.choice(subjects), next(sequence))
        if rng.random() < 0.05 and tasks:
            rng.choice(tasks).cancel()
        await asyncio.sleep(0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert errors == []
    assert received > 500  # the consumers really were fed while they came and went
    assert relay.subscription_count == 0
    assert backend.patterns == frozenset()  # every index bucket is gone too
    await relay.aclose()


async def test_thousands_of_subscribers_get_exactly_their_messages() -> None:
    backend = MemoryBackend()
    relay = Relay[str](backend=backend)
    await relay.start()
    rooms = 2000
    exact = [relay.subscribe(f"room.{n}") for n in range(rooms)]
    below = [relay.subscribe(f"room.{n}.*") for n in range(rooms)]
    both = [relay.subscribe(f"room.{n}", f"room.{n}.*", "room.*") for n in range(0, rooms, 100)]
    everything = relay.subscribe("*")
    assert relay.subscription_count == 2 * rooms + len(both) + 1

    assert relay.publish("room.42", "a") == 1 + len(both) + 1
    assert relay.publish("room.42.typing", "b") == 1 + len(both) + 1
    assert relay.publish("room.100.x.y", "c") == 1 + len(both) + 1
    assert relay.publish("lobby", "d") == 1

    assert [m.data for m in [await anext(exact[42])]] == ["a"]
    assert [(await anext(below[42])).data] == ["b"]
    assert [(await anext(below[100])).data] == ["c"]
    holders = {id(s): s for s in both}
    room_100 = both[1]
    assert [(await anext(room_100)).data for _ in range(3)] == ["a", "b", "c"]
    assert all(s.pending == 0 for s in exact if s is not exact[42])
    assert all(s.pending == 0 for s in below if s not in (below[42], below[100]))
    assert everything.pending == 4
    del holders

    for sub in [*exact, *below, *both, everything]:
        sub.close()
    assert relay.subscription_count == 0
    assert backend.patterns == frozenset()
    assert relay.publish("room.42", "gone") == 0
