"""Errors raised by the relay: bad subjects, slow subscribers, use after close."""

from __future__ import annotations

__all__ = ["InvalidSubject", "RelayClosed", "RelayError", "RelayOverflow"]


class RelayError(Exception):
    """Base class of every error the relay raises."""


class InvalidSubject(RelayError, ValueError):
    """A subject or pattern is malformed; the message says what is wrong and what is allowed.

    Also a ``ValueError``, so code validating user input (a room name from a URL) can
    catch it without importing the relay.
    """

    def __init__(self, text: object, problem: str) -> None:
        self.text = text
        self.problem = problem
        super().__init__(
            f"invalid relay subject {text!r}: {problem} "
            "(subjects are dot-separated tokens like 'chat.room1.typing')"
        )


class RelayOverflow(RelayError):
    """A ``"disconnect"`` subscription fell ``maxsize`` messages behind and was closed.

    Raised by the subscription's iteration. Its queued messages were discarded: end
    the stream so the client reconnects and renders fresh state.
    """

    def __init__(self, patterns: tuple[str, ...], maxsize: int) -> None:
        self.patterns = patterns
        self.maxsize = maxsize
        super().__init__(
            f"subscription to {', '.join(patterns)} fell {maxsize} messages behind and was "
            "closed; end the stream so the client reconnects and re-renders"
        )


class RelayClosed(RelayError):
    """``publish()`` or ``subscribe()`` on a relay after ``aclose()``."""

    def __init__(self) -> None:
        super().__init__("the relay is closed; publish and subscribe before closing it")
