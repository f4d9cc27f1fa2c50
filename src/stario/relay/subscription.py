"""``Subscription``: one consumer's bounded queue of messages, and the ``Message`` it yields."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Generic, Literal, NamedTuple, Self, TypeVar

from stario.errors import StarioError
from stario.relay.errors import RelayOverflow
from stario.relay.subjects import Pattern

__all__ = ["OVERFLOW_POLICIES", "Inbox", "Message", "OverflowPolicy", "Subscription"]

T = TypeVar("T")

OverflowPolicy = Literal["drop_oldest", "disconnect"]
"""What happens when a subscriber's queue is full and another message arrives.

``"disconnect"`` (the default) closes the subscription and makes its iteration raise
``RelayOverflow``; ``"drop_oldest"`` discards the oldest queued message and counts it
in ``Subscription.dropped``.
"""

OVERFLOW_POLICIES: tuple[OverflowPolicy, ...] = ("disconnect", "drop_oldest")


class Message(NamedTuple, Generic[T]):
    """One delivered message: ``msg.subject``, ``msg.data``; unpacks as ``subject, data``.

    Every subscriber receives the same immutable object.
    """

    subject: str
    data: T


class Inbox(Generic[T]):
    """A subscription as the relay's index holds it: queue, limits, state.

    The user-facing ``Subscription`` wraps it, so the index never keeps a dropped
    ``Subscription`` alive and its finalizer can unsubscribe.
    """

    __slots__ = (
        "closed",
        "drop_oldest",
        "dropped",
        "failure",
        "mark",
        "maxsize",
        "patterns",
        "queue",
        "waiter",
    )

    def __init__(self, patterns: tuple[Pattern, ...], maxsize: int, drop_oldest: bool) -> None:
        self.patterns = patterns
        self.maxsize = maxsize
        self.drop_oldest = drop_oldest
        self.queue: deque[Message[T]] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.failure: RelayOverflow | None = None
        self.dropped = 0
        self.mark = -1  # number of the last publish that reached this inbox

    def texts(self) -> tuple[str, ...]:
        """The patterns as written."""
        return tuple(p.text for p in self.patterns)

    def offer(self, message: Message[T]) -> bool:
        """Queue ``message``; False when full under the disconnect policy."""
        queue = self.queue
        if len(queue) >= self.maxsize:
            self.dropped += 1
            if not self.drop_oldest:
                return False
            queue.popleft()
        queue.append(message)
        self._wake()
        return True

    def shut(self, failure: RelayOverflow | None) -> None:
        """Close: discard what is queued and wake the consumer so its loop ends."""
        self.closed = True
        self.failure = failure
        if failure is not None:
            self.dropped += len(self.queue)
        self.queue.clear()
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Subscription(Generic[T]):
    """Messages on the subscribed patterns, in publish order, as ``Message`` objects.

    It is registered the moment ``relay.subscribe()`` returns: nothing published after
    that is missed. Use it as ``async with relay.subscribe("a.*") as sub: async for msg
    in sub: ...``, directly as ``async for msg in relay.subscribe(...)``, or through
    ``c.alive(...)``. It unsubscribes when the ``async with`` block ends, on ``close()``
    / ``aclose()`` (which ``c.alive()`` calls when its loop ends), and when the object is
    garbage collected. Iteration ends after close; it raises ``RelayOverflow`` when the
    ``"disconnect"`` policy closed it. One task consumes a subscription at a time.
    """

    __slots__ = ("_detach", "_inbox")

    def __init__(self, inbox: Inbox[T], detach: Callable[[Inbox[T]], None]) -> None:
        self._inbox = inbox
        self._detach = detach

    @property
    def patterns(self) -> tuple[str, ...]:
        """The patterns as passed to ``subscribe()`` (duplicates removed)."""
        return self._inbox.texts()

    @property
    def maxsize(self) -> int:
        """How many undelivered messages the queue holds before the overflow policy acts."""
        return self._inbox.maxsize

    @property
    def overflow(self) -> OverflowPolicy:
        """The overflow policy of this subscription."""
        return "drop_oldest" if self._inbox.drop_oldest else "disconnect"

    @property
    def pending(self) -> int:
        """Messages queued and not yet received."""
        return len(self._inbox.queue)

    @property
    def dropped(self) -> int:
        """Messages that matched but were discarded because the queue was full."""
        return self._inbox.dropped

    @property
    def closed(self) -> bool:
        """True once unsubscribed (by close, the relay closing, or overflow)."""
        return self._inbox.closed

    def close(self) -> None:
        """Unsubscribe now; queued messages are discarded and iteration ends. Idempotent."""
        self._detach(self._inbox)

    async def aclose(self) -> None:
        """``close()``, for ``c.alive()`` and other code that closes async iterators."""
        self._detach(self._inbox)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._detach(self._inbox)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Message[T]:
        inbox = self._inbox
        queue = inbox.queue
        while not queue:
            if inbox.closed:
                if inbox.failure is not None:
                    raise inbox.failure.with_traceback(None)
                raise StopAsyncIteration
            if inbox.waiter is not None:
                raise StarioError(
                    "two tasks are receiving from one subscription",
                    help="give each consumer its own relay.subscribe(...)",
                )
            # PERF: waited for here, not in a helper coroutine: one frame less per message
            # for every subscriber of a fan-out.
            waiter = inbox.waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                inbox.waiter = None
        return queue.popleft()

    def __del__(self) -> None:
        # A bare `async for msg in relay.subscribe(...)` that breaks out leaves nothing
        # to call close(); dropping the object must still unsubscribe.
        if not self._inbox.closed:
            self._detach(self._inbox)

    def __repr__(self) -> str:
        state = "closed" if self._inbox.closed else f"pending={self.pending}"
        return f"<Subscription {' '.join(self.patterns)} {state}>"
