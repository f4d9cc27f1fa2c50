"""EventStreamParser: the HTML event-stream rules, whatever the chunking."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from stario.testing import EventStreamParser, ServerSentEvent


def events_of(text: str) -> list[ServerSentEvent]:
    return EventStreamParser().feed(text)


def test_fields_and_defaults() -> None:
    assert events_of("data: a\ndata:b\n\nevent: up\ndata\n\n") == [
        ServerSentEvent("message", "a\nb"),
        ServerSentEvent("up", ""),
    ]


def test_line_endings_bom_and_comments() -> None:
    text = "\ufeffdata: one\r\n\r\n: comment\rdata: two\r\rdata: three\n\n"
    assert [e.data for e in events_of(text)] == ["one", "two", "three"]


def test_id_persists_and_nul_ids_are_ignored() -> None:
    text = "id: 1\ndata: a\n\ndata: b\n\nid: x\x00y\ndata: c\n\nid\ndata: d\n\n"
    assert [e.id for e in events_of(text)] == ["1", "1", "1", ""]


def test_retry_only_digits() -> None:
    text = "retry: 250\ndata: a\n\nretry: 2s\ndata: b\n\n"
    assert [e.retry for e in events_of(text)] == [250, None]


def test_blocks_without_data_and_unfinished_events_are_dropped() -> None:
    parser = EventStreamParser()
    assert parser.feed("event: x\n\nretry: 5\n\ndata: never finished\n") == []
    assert parser.finish() == []


def test_only_one_leading_space_is_removed() -> None:
    assert events_of("data:  two spaces\n\n")[0].data == " two spaces"


STREAM = "event: a\r\ndata: 1\r\ndata: 2\r\n\r\n: ping\n\nid: 9\rdata: é\r\r"


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=10))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    parser = EventStreamParser()
    events: list[ServerSentEvent] = []
    for start, end in itertools.pairwise(points):
        events += parser.feed(STREAM[start:end])
    events += parser.finish()
    assert events == [ServerSentEvent("a", "1\n2"), ServerSentEvent("message", "é", "9")]
