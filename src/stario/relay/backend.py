"""The contract between a ``Relay`` and the transport that links processes.

The relay does all subject matching and local fan-out itself. A backend only moves
``(subject, payload bytes)`` between processes: it sends what this process publishes
to the others, and hands what the others publish back to the relay. The relay tells
it which patterns have local subscribers so it can ask its transport for just those
(Redis ``SUBSCRIBE`` / ``PSUBSCRIBE``); it re-checks every incoming subject itself, so
a backend may deliver more than was asked for, never less.

Payloads cross processes as bytes, so a relay with a shared backend needs a
``Codec`` for its messages. The memory backend of a single process never encodes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = ["Codec", "Deliver", "JsonCodec", "RelayBackend"]

T = TypeVar("T")

Deliver = Callable[[str, bytes], None]
"""The relay's entry point for messages from other processes: ``deliver(subject, payload)``."""


@runtime_checkable
class RelayBackend(Protocol):
    """What a relay transport implements (the memory backend here, Redis for several processes).

    Rules a backend must keep:

    - ``publish``, ``subscribe`` and ``unsubscribe`` are plain calls on the event loop
      thread and must not block: queue the work and send it from a task of your own.
    - Never hand a process its own messages back: the relay has already delivered
      them locally (Redis backends tag each payload with a per-process id and drop
      their own on receipt).
    - Call ``deliver`` on the event loop thread, one message at a time, in the order
      the transport received them; messages from one publisher stay in order.
    - ``deliver`` never raises; the relay drops (and counts in ``rejected``) an
      incoming message whose subject or payload it cannot read.
    """

    @property
    def shared(self) -> bool:
        """True when other processes receive what is published here.

        When False the relay neither encodes messages nor calls ``publish``.
        """
        ...

    async def start(self, deliver: Deliver) -> None:
        """Connect; from now on pass other processes' messages to ``deliver``.

        The relay calls ``subscribe`` for the patterns it already has right after.
        """
        ...

    def publish(self, subject: str, payload: bytes) -> None:
        """Send an encoded message to the other processes (queue it, do not block)."""
        ...

    def subscribe(self, pattern: str) -> None:
        """Local subscribers now want ``pattern`` (exact, ``prefix.*`` or ``*``)."""
        ...

    def unsubscribe(self, pattern: str) -> None:
        """The last local subscriber to ``pattern`` has gone."""
        ...

    async def close(self) -> None:
        """Stop delivering and release the connection; called once, by ``Relay.aclose()``."""
        ...


class Codec(Protocol[T]):
    """Turns messages into bytes and back for backends that cross processes."""

    def encode(self, data: T) -> bytes:
        """The bytes to send for ``data``."""
        ...

    def decode(self, payload: bytes) -> T:
        """The message ``payload`` was encoded from; raise on bytes it cannot read."""
        ...


class JsonCodec:
    """The default codec: compact UTF-8 JSON (tuples arrive as lists, dict keys as str)."""

    __slots__ = ()

    def encode(self, data: Any) -> bytes:
        """``data`` as compact JSON bytes."""
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def decode(self, payload: bytes) -> Any:
        """The value the JSON in ``payload`` describes."""
        return json.loads(payload)
