"""Parse markup with the stdlib HTMLParser into a flat list of events for comparison."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

Event = tuple[Any, ...]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[Event] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("startend", tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if self.events and self.events[-1][0] == "data":
            self.events[-1] = ("data", self.events[-1][1] + data)
        else:
            self.events.append(("data", data))

    def handle_comment(self, data: str) -> None:
        self.events.append(("comment", data))

    def handle_decl(self, decl: str) -> None:
        self.events.append(("decl", decl))


def parse(markup: str) -> list[Event]:
    """Events of ``markup``: start/startend/end tags, merged text, comments, doctype."""
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector.events


def text(value: str) -> list[Event]:
    """The events plain text produces: none for empty text."""
    return [("data", value)] if value else []
