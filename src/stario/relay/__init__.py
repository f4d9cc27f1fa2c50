"""``stario.relay``: in-process publish/subscribe for real-time handlers.

::

    from stario.relay import Relay

    relay = Relay[str]()

    async def chat_events(c: Context, w: Writer) -> None:
        sse = SSE(w)
        async for msg in c.alive(relay.subscribe("chat.room1")):
            sse.patch_elements(render_line(msg.data))

    relay.publish("chat.room1", "hello")   # from any handler or task on the loop

Subjects are dotted (``chat.room1.typing``); ``chat.*`` matches everything below
``chat``, ``*`` everything. Queues are bounded per subscriber. ``MemoryBackend`` (the
default) serves one process; a backend implementing ``RelayBackend`` links several.
"""

from __future__ import annotations

from stario.relay.backend import Codec, Deliver, JsonCodec, RelayBackend
from stario.relay.errors import InvalidSubject, RelayClosed, RelayError, RelayOverflow
from stario.relay.memory import MemoryBackend, MemoryBus
from stario.relay.relay import DEFAULT_MAXSIZE, Relay
from stario.relay.subjects import Pattern, check_subject, matches, parse_pattern
from stario.relay.subscription import Message, OverflowPolicy, Subscription

__all__ = [
    "DEFAULT_MAXSIZE",
    "Codec",
    "Deliver",
    "InvalidSubject",
    "JsonCodec",
    "MemoryBackend",
    "MemoryBus",
    "Message",
    "OverflowPolicy",
    "Pattern",
    "Relay",
    "RelayBackend",
    "RelayClosed",
    "RelayError",
    "RelayOverflow",
    "Subscription",
    "check_subject",
    "matches",
    "parse_pattern",
]
