"""Exceptions that handlers raise and the framework turns into responses."""

from __future__ import annotations

from stario.http.wire import reason_phrase

__all__ = [
    "ClientDisconnected",
    "HttpException",
    "RedirectException",
    "StarioError",
]


class StarioError(Exception):
    """A usage mistake, with what to do about it.

    The message says what went wrong; ``help`` says how to fix it and ``example``
    shows code that works. ``str()`` joins all three so tracebacks are useful.
    """

    def __init__(self, message: str, *, help: str = "", example: str = "") -> None:
        self.message = message
        self.help = help
        self.example = example
        super().__init__(message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.help:
            parts.append(f"help: {self.help}")
        if self.example:
            parts.append("example:\n    " + self.example.replace("\n", "\n    "))
        return "\n".join(parts)


def _reason(status: int) -> str:
    return reason_phrase(status) or "Error"


class HttpException(Exception):
    """Stop the handler and answer with ``status`` (4xx or 5xx) and a text ``detail``.

    An empty detail answers with the standard reason phrase, e.g. ``Not Found``.
    """

    def __init__(self, status: int, detail: str = "") -> None:
        if not 400 <= status <= 599:
            raise StarioError(
                f"HttpException status must be 4xx or 5xx, got {status}",
                help="use RedirectException for 3xx answers",
                example='raise HttpException(404, "no such user")',
            )
        self.status = status
        self.detail = detail or _reason(status)
        super().__init__(status, self.detail)


class RedirectException(Exception):
    """Stop the handler and redirect to ``location`` with a 3xx ``status``."""

    def __init__(self, location: str, status: int = 307) -> None:
        if not 300 <= status <= 399:
            raise StarioError(
                f"RedirectException status must be 3xx, got {status}",
                example='raise RedirectException("/login", 303)',
            )
        self.location = location
        self.status = status
        super().__init__(location, status)


class ClientDisconnected(Exception):
    """The peer went away while the request body was being read."""
