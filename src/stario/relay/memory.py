"""The in-memory backend: one process by default, or several relays joined by a bus.

``MemoryBackend()`` (what ``Relay()`` uses) links nothing: the relay's own local
fan-out is all there is. ``MemoryBus`` joins several relays in one process as if each
were a separate process — payloads are encoded, travel as bytes, arrive on a later
loop turn, and a relay never receives its own messages — so code written for a
multi-process backend can be tested without one.
"""

from __future__ import annotations

import asyncio

from stario.relay.backend import Deliver
from stario.relay.subjects import Pattern, covers, parse_pattern

__all__ = ["MemoryBackend", "MemoryBus"]


class MemoryBus:
    """Joins ``MemoryBackend``s in one process the way a broker joins processes.

    ``bus = MemoryBus()``, then ``Relay(backend=bus.backend())`` per simulated process.
    """

    __slots__ = ("_members",)

    def __init__(self) -> None:
        self._members: list[MemoryBackend] = []

    def backend(self) -> MemoryBackend:
        """A new backend on this bus (one per relay)."""
        return MemoryBackend(bus=self)

    def join(self, member: MemoryBackend) -> None:
        """Start passing messages to ``member`` (called by its ``start``)."""
        if member not in self._members:
            self._members.append(member)

    def leave(self, member: MemoryBackend) -> None:
        """Stop passing messages to ``member`` (called by its ``close``)."""
        if member in self._members:
            self._members.remove(member)

    def send(self, sender: MemoryBackend, subject: str, payload: bytes) -> None:
        """Offer a message to every member except ``sender``."""
        for member in self._members:
            if member is not sender:
                member.receive(subject, payload)


class MemoryBackend:
    """The default relay backend: delivery within this process only.

    Without a bus it is never ``shared``: the relay skips encoding and never calls
    ``publish``. With ``bus=`` it behaves like a broker connection (see ``MemoryBus``).
    """

    __slots__ = ("_bus", "_deliver", "_loop", "_patterns")

    def __init__(self, *, bus: MemoryBus | None = None) -> None:
        self._bus = bus
        self._deliver: Deliver | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._patterns: dict[str, Pattern] = {}

    @property
    def shared(self) -> bool:
        """True when joined to a ``MemoryBus``."""
        return self._bus is not None

    @property
    def patterns(self) -> frozenset[str]:
        """The patterns the relay currently wants (what a broker would be subscribed to)."""
        return frozenset(self._patterns)

    async def start(self, deliver: Deliver) -> None:
        """Begin handing other members' messages to ``deliver``."""
        self._deliver = deliver
        self._loop = asyncio.get_running_loop()
        if self._bus is not None:
            self._bus.join(self)

    def publish(self, subject: str, payload: bytes) -> None:
        """Offer the message to the other members of the bus, if any."""
        if self._bus is not None:
            self._bus.send(self, subject, payload)

    def subscribe(self, pattern: str) -> None:
        """Remember that the relay wants ``pattern``."""
        self._patterns[pattern] = parse_pattern(pattern)

    def unsubscribe(self, pattern: str) -> None:
        """Forget ``pattern``."""
        self._patterns.pop(pattern, None)

    async def close(self) -> None:
        """Leave the bus and stop delivering."""
        if self._bus is not None:
            self._bus.leave(self)
        self._deliver = None

    def receive(self, subject: str, payload: bytes) -> None:
        """A message from another member: deliver it later if a wanted pattern matches."""
        loop = self._loop
        # Like a broker, route on the subject without judging it; the relay checks it.
        if loop is None or not any(covers(p, subject) for p in self._patterns.values()):
            return
        # Like a network hop: the message arrives on a later loop turn, never inside
        # the publisher's call, and call_soon keeps the order it was sent in.
        loop.call_soon(self._hand_over, subject, payload)

    def _hand_over(self, subject: str, payload: bytes) -> None:
        deliver = self._deliver
        if deliver is not None:
            deliver(subject, payload)
