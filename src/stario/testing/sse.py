"""Server-sent events: parsing a ``text/event-stream`` body the way browsers do.

Follows the HTML Living Standard, "Interpreting an event stream": lines end with
CRLF, LF or CR; a leading BOM is dropped; ``:`` starts a comment; one optional space
after the colon is removed; a blank line dispatches the event; an event with no
``data`` is not dispatched; an unfinished event at the end of the stream is dropped.
"""

from __future__ import annotations

import json as _json
import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["EventStreamParser", "ServerSentEvent"]

_LINE_END: Final = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event.

    ``event`` is the type (``"message"`` when the stream named none), ``data`` the
    ``data:`` lines joined with ``"\\n"``, ``id`` the last event id seen so far in the
    stream (as ``EventSource.lastEventId``; ``""`` if none), ``retry`` the
    reconnection time in ms given in this event's block, or None.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None

    def json(self) -> Any:
        """``data`` parsed as JSON."""
        return _json.loads(self.data)


class EventStreamParser:
    """Incremental parser: ``feed(text)`` returns the events completed by ``text``.

    Call ``finish()`` at the end of the stream (a trailing CR may end the last line).
    """

    __slots__ = ("_data", "_event", "_last_id", "_pending", "_retry", "_started")

    def __init__(self) -> None:
        self._pending = ""
        self._started = False
        self._event = ""
        self._data: list[str] = []
        self._last_id = ""
        self._retry: int | None = None

    def feed(self, text: str) -> list[ServerSentEvent]:
        """Parse more of the stream (already decoded from UTF-8)."""
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        buffer = self._pending + text
        events: list[ServerSentEvent] = []
        start = 0
        for match in _LINE_END.finditer(buffer):
            # A CR at the very end may be the first half of a CRLF: wait for more.
            if match.group() == "\r" and match.end() == len(buffer):
                break
            self._line(buffer[start : match.start()], events)
            start = match.end()
        self._pending = buffer[start:]
        return events

    def finish(self) -> list[ServerSentEvent]:
        """The stream ended: a final CR still ends its line; an unfinished event is dropped."""
        events: list[ServerSentEvent] = []
        if self._pending.endswith("\r"):
            self._line(self._pending[:-1], events)
        self._pending = ""
        return events

    def _line(self, line: str, events: list[ServerSentEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            return  # comment (often a keep-alive ping)
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\x00" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._event, self._retry = [], "", None
        if not data:
            return
        events.append(ServerSentEvent(event or "message", "\n".join(data), self._last_id, retry))
