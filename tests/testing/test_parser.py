"""ResponseParser: framing of responses, strictness, any split of the input."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.testing import ProtocolError
from stario.testing.parser import END, Event, ResponseHead, ResponseParser


def parse(data: bytes, method: str = "GET", *, eof: bool = False) -> list[Event]:
    parser = ResponseParser()
    parser.begin(method)
    events = parser.feed(data)
    if eof:
        events += parser.feed_eof()
    return events


def body_of(events: list[Event]) -> bytes:
    return b"".join(e for e in events if isinstance(e, bytes))


def test_content_length_body() -> None:
    events = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A:  b \r\n\r\nabc")
    head = events[0]
    assert isinstance(head, ResponseHead)
    assert (head.status_code, head.reason, head.http_version) == (200, "OK", "1.1")
    assert head.raw_headers == [(b"Content-Length", b"3"), (b"X-A", b"b")]
    assert body_of(events) == b"abc"
    assert events[-1] is END


def test_chunked_body_with_extension_and_trailer() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"
    events = parse(data)
    assert body_of(events) == b"abc"
    assert events[-1] is END


def test_reason_phrase_may_be_missing() -> None:
    head = parse(b"HTTP/1.1 599\r\nContent-Length: 0\r\n\r\n")[0]
    assert isinstance(head, ResponseHead)
    assert (head.status_code, head.reason) == (599, "")


def test_close_delimited_body() -> None:
    events = parse(b"HTTP/1.0 200 OK\r\n\r\nall of it", eof=True)
    assert body_of(events) == b"all of it"
    assert events[-1] is END


@pytest.mark.parametrize(
    ("head", "method"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD"),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "GET"),
        (b"HTTP/1.1 304 Not Modified\r\n\r\n", "GET"),
    ],
)
def test_no_body_responses(head: bytes, method: str) -> None:
    assert parse(head, method)[-1] is END


def test_interim_then_final() -> None:
    events = parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    heads = [e for e in events if isinstance(e, ResponseHead)]
    assert [h.status_code for h in heads] == [100, 200]
    assert heads[0].interim
    assert not heads[1].interim


def test_pipelined_responses_wait_for_begin() -> None:
    parser = ResponseParser()
    parser.begin("GET")
    events = parser.feed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"
    )
    assert events[-1] is END
    assert parser.idle
    parser.begin("HEAD")
    assert parser.feed(b"")[-1] is END


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/2.0 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A : x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A: x\r\n folded\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A: x\ny\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc",
    ],
)
def test_malformed_responses_are_rejected(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "without a response"),
        (b"HTTP/1.1 200 OK\r\n", "middle of a response head"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "after 2 of 5"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", "chunked"),
    ],
)
def test_early_close_is_an_error(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse(data, eof=True)


RESPONSE = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n"
    b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
)


@given(st.lists(st.integers(min_value=0, max_value=len(RESPONSE)), max_size=8))
def test_any_split_gives_the_same_result(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(RESPONSE)]
    parser = ResponseParser()
    parser.begin("GET")
    events: list[Event] = []
    for start, end in itertools.pairwise(points):
        events += parser.feed(RESPONSE[start:end])
    heads = [e for e in events if isinstance(e, ResponseHead)]
    assert len(heads) == 1
    assert heads[0].status_code == 200
    assert body_of(events) == b"hello world"
    assert events[-1] is END
    assert events.count(END) == 1
