"""``Relay[T]``: in-process publish/subscribe on dotted subjects, with an optional backend.

The relay indexes subscriptions by exact subject and by the prefix of their
``prefix.*`` patterns, so a publish looks at the subject's own bucket and one bucket
per token, then only at subscriptions that match: O(tokens + matched), however many
subscriptions exist elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from stario.errors import StarioError
from stario.relay.backend import Codec, JsonCodec, RelayBackend
from stario.relay.errors import RelayClosed, RelayOverflow
from stario.relay.memory import MemoryBackend
from stario.relay.subjects import Pattern, below, check_subject, parse_pattern, prefixes
from stario.relay.subscription import (
    OVERFLOW_POLICIES,
    Inbox,
    Message,
    OverflowPolicy,
    Subscription,
)

__all__ = ["DEFAULT_MAXSIZE", "Relay"]

T = TypeVar("T")

DEFAULT_MAXSIZE = 1024

# An ordered set: delivery order between subscribers follows subscription order.
Bucket = dict[Inbox[Any], None]


def _check_limits(maxsize: object, overflow: object) -> None:
    if type(maxsize) is not int or maxsize < 1:
        raise StarioError(
            f"maxsize must be a positive int, got {maxsize!r}",
            help="it bounds each subscriber's queue; there is no unbounded option",
            example='relay.subscribe("chat.*", maxsize=256)',
        )
    if overflow not in OVERFLOW_POLICIES:
        raise StarioError(
            f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}, got {overflow!r}",
            example='relay.subscribe("cursor.*", overflow="drop_oldest")',
        )


class Relay(Generic[T]):
    """Publish messages of type ``T`` on dotted subjects; subscribe with patterns.

    ``relay.publish("chat.room1", msg)`` queues ``msg`` for every subscription whose
    pattern matches, synchronously, and returns how many that was. ``relay.subscribe(
    "chat.room1", "chat.*")`` gives a ``Subscription`` yielding ``Message`` objects;
    overlapping patterns still deliver each message once.

    Each subscription's queue holds at most ``maxsize`` messages; ``overflow`` says
    what happens beyond: ``"disconnect"`` (default) or ``"drop_oldest"``. Both can be
    overridden per ``subscribe()``.

    ``backend`` links processes (default: ``MemoryBackend()``, this process only);
    ``codec`` turns messages into bytes for such a backend (default ``JsonCodec``).
    With a shared backend use ``async with relay:`` (or ``await relay.start()``) before
    publishing. Use from the event loop thread; another thread calls
    ``loop.call_soon_threadsafe(relay.publish, subject, data)``.
    """

    __slots__ = (
        "_backend",
        "_below",
        "_busy",
        "_closed",
        "_codec",
        "_deferred",
        "_exact",
        "_mark",
        "_maxsize",
        "_open",
        "_overflow",
        "_started",
        "rejected",
    )

    def __init__(
        self,
        *,
        backend: RelayBackend | None = None,
        codec: Codec[T] | None = None,
        maxsize: int = DEFAULT_MAXSIZE,
        overflow: OverflowPolicy = "disconnect",
    ) -> None:
        _check_limits(maxsize, overflow)
        if backend is not None and not isinstance(backend, RelayBackend):
            raise StarioError(
                f"backend must implement RelayBackend, got {type(backend).__name__}",
                help="it needs shared, start, publish, subscribe, unsubscribe and close",
            )
        self._backend: RelayBackend = backend if backend is not None else MemoryBackend()
        self._codec: Codec[T] = codec if codec is not None else JsonCodec()
        self._maxsize = maxsize
        self._overflow: OverflowPolicy = overflow
        self._exact: dict[str, Bucket] = {}
        self._below: dict[str, Bucket] = {}
        self._mark = 0
        self._busy = 0
        self._deferred: list[Inbox[Any]] = []
        self._open = 0
        self._started = False
        self._closed = False
        self.rejected = 0
        """Messages from the backend dropped because their subject or payload was unreadable."""

    # --- properties -------------------------------------------------------------------

    @property
    def backend(self) -> RelayBackend:
        """The backend linking this relay to other processes."""
        return self._backend

    @property
    def maxsize(self) -> int:
        """Default queue bound of new subscriptions."""
        return self._maxsize

    @property
    def overflow(self) -> OverflowPolicy:
        """Default overflow policy of new subscriptions."""
        return self._overflow

    @property
    def subscription_count(self) -> int:
        """Open subscriptions on this relay."""
        return self._open

    @property
    def closed(self) -> bool:
        """True after ``aclose()``."""
        return self._closed

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Start the backend (needed before publishing on a shared backend). Idempotent."""
        if self._closed:
            raise RelayClosed()
        if self._started:
            return
        backend = self._backend
        await backend.start(self._receive)
        self._started = True
        # Subscriptions made before (or while) the backend started.
        for subject in self._exact:
            backend.subscribe(subject)
        for prefix in self._below:
            backend.subscribe(below(prefix))

    async def aclose(self) -> None:
        """End every subscription (their loops stop) and close the backend. Idempotent."""
        if self._closed:
            return
        self._closed = True
        tables = (self._exact, self._below)
        everyone = {inbox: None for t in tables for bucket in t.values() for inbox in bucket}
        self._busy += 1
        try:
            for inbox in everyone:
                self._detach(inbox)
        finally:
            self._settle()
        if self._started:
            await self._backend.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- publish ----------------------------------------------------------------------

    def publish(self, subject: str, data: T) -> int:
        """Deliver ``data`` on ``subject`` to every matching subscription, without waiting.

        Returns how many local subscriptions it was queued for (a shared backend also
        sends it to other processes, which are not counted). ``subject`` must not
        contain ``*``; an invalid one raises ``InvalidSubject``.
        """
        if self._closed:
            raise RelayClosed()
        check_subject(subject)
        backend = self._backend
        if backend.shared:
            if not self._started:
                raise StarioError(
                    "the relay's backend is not started",
                    help="start the relay in bootstrap before publishing",
                    example="async with relay:\n    yield",
                )
            # Encode first: a message the codec refuses reaches nobody.
            backend.publish(subject, self._codec.encode(data))
        return self._fan_out(subject, Message(subject, data))

    def _receive(self, subject: str, payload: bytes) -> None:
        """A message from another process, via the backend."""
        if self._closed:
            return
        try:
            check_subject(subject)
            data = self._codec.decode(payload)
        except Exception:
            # SECURITY: bytes from other processes are untrusted; a bad message is
            # dropped and counted, and must not kill the backend's reader.
            self.rejected += 1
            return
        self._fan_out(subject, Message(subject, data))

    def _buckets(self, subject: str) -> Iterator[Bucket]:
        bucket = self._exact.get(subject)
        if bucket:
            yield bucket
        table = self._below
        if table:
            for prefix in prefixes(subject):
                bucket = table.get(prefix)
                if bucket:
                    yield bucket

    def _fan_out(self, subject: str, message: Message[Any]) -> int:
        self._mark += 1
        mark = self._mark
        delivered = 0
        self._busy += 1
        try:
            for bucket in self._buckets(subject):
                for inbox in bucket:
                    # PERF: a per-publish stamp dedupes overlapping patterns without a set.
                    if inbox.mark == mark or inbox.closed:
                        continue
                    inbox.mark = mark
                    if inbox.offer(message):
                        delivered += 1
                    else:
                        self._detach(inbox, RelayOverflow(inbox.texts(), inbox.maxsize))
        finally:
            self._settle()
        return delivered

    # --- subscribe --------------------------------------------------------------------

    def subscribe(
        self,
        *patterns: str,
        maxsize: int | None = None,
        overflow: OverflowPolicy | None = None,
    ) -> Subscription[T]:
        """Subscribe to ``patterns`` now; messages published from here on are kept.

        Patterns are exact subjects, ``prefix.*`` (everything below ``prefix``, not
        ``prefix`` itself) or ``*`` (everything). ``maxsize`` and ``overflow`` default to
        the relay's.
        """
        if self._closed:
            raise RelayClosed()
        if not patterns:
            raise StarioError(
                "subscribe() needs at least one pattern",
                example='relay.subscribe("chat.room1", "chat.room1.*")',
            )
        size = self._maxsize if maxsize is None else maxsize
        policy = self._overflow if overflow is None else overflow
        _check_limits(size, policy)
        parsed = tuple(dict.fromkeys(parse_pattern(p) for p in patterns))
        inbox: Inbox[T] = Inbox(parsed, size, policy == "drop_oldest")
        self._busy += 1
        try:
            for pattern in parsed:
                self._index(inbox, pattern)
            self._open += 1
        finally:
            self._settle()
        return Subscription(inbox, self._detach)

    def _table(self, pattern: Pattern) -> tuple[dict[str, Bucket], str]:
        if pattern.prefix is None:
            return self._exact, pattern.text
        return self._below, pattern.prefix

    def _index(self, inbox: Inbox[Any], pattern: Pattern) -> None:
        table, key = self._table(pattern)
        bucket = table.get(key)
        if bucket is None:
            bucket = table[key] = {}
            if self._started:
                self._backend.subscribe(pattern.text)
        bucket[inbox] = None

    def _unindex(self, inbox: Inbox[Any]) -> None:
        for pattern in inbox.patterns:
            table, key = self._table(pattern)
            bucket = table.get(key)
            if bucket is None or inbox not in bucket:
                continue
            del bucket[inbox]
            if not bucket:
                del table[key]
                if self._started and not self._closed:
                    self._backend.unsubscribe(pattern.text)

    def _detach(self, inbox: Inbox[Any], failure: RelayOverflow | None = None) -> None:
        """Close ``inbox`` and take it out of the index (later, if the index is in use)."""
        if inbox.closed:
            return
        inbox.shut(failure)
        self._open -= 1
        if self._busy:
            # A publish or subscribe is walking the index (or a finalizer ran inside
            # one): removing now would change a dict under its feet.
            self._deferred.append(inbox)
        else:
            self._unindex(inbox)

    def _settle(self) -> None:
        self._busy -= 1
        if not self._busy:
            deferred = self._deferred
            while deferred:
                self._unindex(deferred.pop())

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"subscriptions={self._open}"
        return f"<Relay {type(self._backend).__name__} {state}>"
