"""Response framing: status lines, the cached Date header, chunk encoding."""

from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus
from typing import Final

__all__ = [
    "CHUNKED_END",
    "NO_BODY_STATUSES",
    "DateCache",
    "encode_chunk",
    "reason_phrase",
    "status_line",
]

# RFC 9110 §6.4.1: these never carry content, whatever the handler asks.
NO_BODY_STATUSES: Final = frozenset({*range(100, 200), 204, 304})
CHUNKED_END: Final = b"0\r\n\r\n"


# Phrases pinned so every Python version answers the same words (the deployment
# guide documents "413 Payload Too Large").
_PINNED: Final = {
    413: "Payload Too Large",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}


def reason_phrase(status: int) -> str:
    """The reason phrase for ``status``, or an empty string."""
    pinned = _PINNED.get(status)
    if pinned is not None:
        return pinned
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# PERF: the status line of every known status is built once.
_STATUS_LINES: Final = {
    s.value: f"HTTP/1.1 {s.value} {reason_phrase(s.value)}\r\n".encode("ascii") for s in HTTPStatus
}


def status_line(status: int) -> bytes:
    """``HTTP/1.1 <status> <reason>\\r\\n`` as bytes."""
    line = _STATUS_LINES.get(status)
    if line is None:
        line = f"HTTP/1.1 {status} {reason_phrase(status)}\r\n".encode("ascii")
    return line


def encode_chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (RFC 9112 §7.1); ``data`` must not be empty."""
    return b"%x\r\n%b\r\n" % (len(data), data)


class DateCache:
    """The ``date: ...\\r\\n`` header line, rebuilt at most once a second."""

    __slots__ = ("_line", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._line = b""

    def line(self) -> bytes:
        """The current Date header line (RFC 9110 §6.6.1 IMF-fixdate)."""
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._line = b"date: " + formatdate(now, usegmt=True).encode("ascii") + b"\r\n"
        return self._line


DATE: Final = DateCache()
