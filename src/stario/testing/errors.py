"""Exceptions the test client raises."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stario.testing.response import Response, ResponseBase

__all__ = ["HTTPStatusError", "ProtocolError", "ServerError", "TooManyRedirects"]


class ProtocolError(Exception):
    """The server's bytes are not a valid, complete HTTP/1.1 response.

    Raised for malformed framing and for responses cut short, e.g. when a handler
    fails after the head was sent and the server aborts the connection.
    """


class ServerError(Exception):
    """A handler raised; re-raised in the test when ``raise_server_exceptions=True``.

    ``exception_type`` and ``exception_message`` name the original exception and
    ``traceback`` is the server-side traceback text taken from the request span.
    """

    def __init__(self, exception_type: str, exception_message: str, traceback: str) -> None:
        self.exception_type = exception_type
        self.exception_message = exception_message
        self.traceback = traceback
        super().__init__(f"{exception_type}: {exception_message}\n\n{traceback}".rstrip())


class TooManyRedirects(Exception):
    """More redirects than the client follows (20) for one request."""

    def __init__(self, message: str, history: list[Response]) -> None:
        self.history = history
        super().__init__(message)


class HTTPStatusError(Exception):
    """``raise_for_status()`` saw a 4xx or 5xx answer; ``response`` is that answer."""

    def __init__(self, message: str, response: ResponseBase) -> None:
        self.response = response
        super().__init__(message)
