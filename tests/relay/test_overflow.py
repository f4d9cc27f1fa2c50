"""Bounded queues: the drop_oldest and disconnect policies for slow subscribers."""

from __future__ import annotations

import pytest

from stario.relay import Relay, RelayOverflow


async def test_drop_oldest_keeps_the_newest_and_counts_drops() -> None:
    relay = Relay[int]()
    sub = relay.subscribe("t", maxsize=3, overflow="drop_oldest")
    for n in range(10):
        assert relay.publish("t", n) == 1  # still delivered: an older one made room
    assert sub.pending == 3
    assert sub.dropped == 7
    assert [(await anext(sub)).data for _ in range(3)] == [7, 8, 9]
    assert not sub.closed
    relay.publish("t", 10)
    assert (await anext(sub)).data == 10


async def test_disconnect_closes_the_slow_subscription_and_raises_on_receive() -> None:
    relay = Relay[int]()
    slow = relay.subscribe("t", "u.*", maxsize=2)
    fast = relay.subscribe("t", maxsize=2)
    assert slow.overflow == "disconnect"  # the default
    assert relay.publish("t", 1) == 2
    assert (await anext(fast)).data == 1
    assert relay.publish("t", 2) == 2
    assert (await anext(fast)).data == 2
    assert relay.publish("t", 3) == 1  # slow is full: closed, not counted
    assert slow.closed
    assert slow.pending == 0  # its queue was freed at once
    assert slow.dropped == 3  # two discarded from the queue and the one that did not fit
    assert relay.subscription_count == 1
    with pytest.raises(RelayOverflow, match="fell 2 messages behind") as info:
        await anext(slow)
    assert info.value.patterns == ("t", "u.*")
    assert info.value.maxsize == 2
    with pytest.raises(RelayOverflow):  # stays failed
        await anext(slow)
    assert relay.publish("t", 4) == 1
    assert [(await anext(fast)).data for _ in range(2)] == [3, 4]


async def test_many_subscribers_overflowing_in_one_publish() -> None:
    # Closing while the publish walks the same bucket must not disturb the walk.
    relay = Relay[int]()
    subs = [relay.subscribe("t", maxsize=1) for _ in range(50)]
    keeper = relay.subscribe("t", maxsize=1, overflow="drop_oldest")
    assert relay.publish("t", 1) == 51
    assert relay.publish("t", 2) == 1
    assert all(s.closed for s in subs)
    assert relay.subscription_count == 1
    assert (await anext(keeper)).data == 2
    # The bucket is whole again: new subscribers get new messages.
    fresh = relay.subscribe("t")
    assert relay.publish("t", 3) == 2
    assert (await anext(fresh)).data == 3


async def test_async_for_ends_with_overflow_error() -> None:
    relay = Relay[int]()
    seen: list[int] = []

    async def consume() -> None:
        async with relay.subscribe("t", maxsize=1) as sub:
            relay.publish("t", 1)
            async for message in sub:
                seen.append(message.data)
                relay.publish("t", 2)  # fills the queue again
                relay.publish("t", 3)  # overflows while we are still busy

    with pytest.raises(RelayOverflow):
        await consume()
    assert seen == [1]
    assert relay.subscription_count == 0
