"""Byte-level scripts against ``RequestParser`` (SPEC §7, RFC 9112 framing).

Every script (see ``parser_scripts``) runs three ways: fed whole, fed one byte at a
time, and followed by a second valid request in the same read. Accepted scripts
must then also yield the second request; rejected ones must yield nothing after
the ``Reject``.
"""

from __future__ import annotations

import pytest

from stario.http.parser import Reject, RequestHead, RequestParser
from tests.http.httpkit import SECOND, SECOND_EVENTS, Norm, normalise
from tests.http.parser_scripts import (
    CAP_BODY,
    CAP_HEAD,
    END,
    SCRIPTS,
    Script,
    post_chunked,
    reject,
    sized,
)

MODES = ("whole", "bytewise", "pipelined")


def new_parser() -> RequestParser:
    return RequestParser(CAP_HEAD, CAP_BODY)


def run(raw: bytes, mode: str) -> tuple[list[Norm], RequestParser]:
    """Feed ``raw`` the way ``mode`` says and return the normalised events."""
    parser = new_parser()
    events = []
    if mode == "bytewise":
        for i in range(len(raw)):
            events += parser.feed(raw[i : i + 1])
    else:
        events = parser.feed(raw + SECOND if mode == "pipelined" else raw)
    return normalise(events, with_headers=True), parser


def matches(actual: list[Norm], expected: list[Norm]) -> bool:
    """Compare event lists; expected heads with headers=None ignore the headers."""
    if len(actual) != len(expected):
        return False
    for got, want in zip(actual, expected, strict=True):
        if want[0] == "head" and want[-1] is None:
            got = (*got[:-1], None)
        if got != want:
            return False
    return True


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.id for s in SCRIPTS])
def test_script(script: Script, mode: str) -> None:
    actual, parser = run(script.raw, mode)
    expected = list(script.events)
    if mode == "pipelined" and script.pipelined is not None:
        assert matches(actual, script.pipelined), actual
        return
    if script.body_varies:
        pieces = [e[1] for e in actual if e[0] == "body"]
        total = sum(len(p) for p in pieces if isinstance(p, bytes))
        assert total <= CAP_BODY
        actual = [e for e in actual if e[0] != "body"]
    if script.rejected:
        # Nothing may follow a Reject, whatever came after it in the stream.
        assert matches(actual, expected), actual
        assert parser.dead
        assert parser.feed(SECOND) == []
        return
    if mode != "pipelined":
        assert matches(actual, expected), actual
        assert not parser.head_pending
        return
    first, rest = actual[: len(expected)], actual[len(expected) :]
    assert matches(first, expected), actual
    if script.keep_alive:
        assert rest == SECOND_EVENTS
    else:
        # The connection closes after this response; whatever the parser makes of the
        # next bytes is never served. It must not be a half-parsed request.
        assert rest in ([], SECOND_EVENTS, [reject(400)])


def test_scripts_are_distinct() -> None:
    ids = [s.id for s in SCRIPTS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("shape", ["header", "target", "no-headers", "many-headers", "body-after"])
def test_head_cap_is_the_wire_size(shape: str) -> None:
    """Exactly the cap passes, one byte more is 431, fed whole and in two pieces."""
    ok, too_big = sized(CAP_HEAD, shape), sized(CAP_HEAD + 1, shape)
    assert ok.index(b"\r\n\r\n") + 4 == CAP_HEAD
    assert too_big.index(b"\r\n\r\n") + 4 == CAP_HEAD + 1
    for split in (1, CAP_HEAD // 2, CAP_HEAD - 1):
        parser = new_parser()
        events = normalise(parser.feed(ok[:split]) + parser.feed(ok[split:]), with_headers=False)
        assert events[0][0] == "head"
        assert events[-1] == END
        parser = new_parser()
        events = normalise(
            parser.feed(too_big[:split]) + parser.feed(too_big[split:]), with_headers=False
        )
        assert events == [reject(431)]


def test_head_cap_applies_to_each_pipelined_request() -> None:
    parser = new_parser()
    events = normalise(
        parser.feed(sized(CAP_HEAD, "header") + sized(CAP_HEAD + 1, "header")), with_headers=False
    )
    assert [e[0] for e in events] == ["head", "end", "reject"]
    assert events[-1] == reject(431)


def test_endless_trailer_line_is_bounded() -> None:
    # SECURITY: a trailer line that never ends must not grow without limit.
    parser = new_parser()
    events = parser.feed(post_chunked(b"1\r\nx\r\n0\r\nX-T: "))
    assert [e[0] for e in normalise(events, with_headers=False)] == ["head", "body"]
    for _ in range(10):
        events = parser.feed(b"t" * 100)
        if events:
            break
    assert normalise(events, with_headers=False) == [reject(431)]


def test_partial_head_is_pending_and_complete_head_is_not() -> None:
    parser = new_parser()
    assert not parser.head_pending
    assert parser.feed(b"GET / HT") == []
    assert parser.head_pending
    events = parser.feed(b"TP/1.1\r\nHost: a\r\n\r\n")
    assert [e[0] for e in normalise(events, with_headers=False)] == ["head", "end"]
    assert not parser.head_pending


def test_partial_body_is_not_head_pending() -> None:
    parser = new_parser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    assert not parser.head_pending


def test_has_body() -> None:
    parser = new_parser()
    heads = [
        e
        for e in parser.feed(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        if not isinstance(e, bytes) and hasattr(e, "has_body")
    ]
    assert [h.has_body for h in heads] == [False, False, True, True]


def test_dead_parser_ignores_input() -> None:
    parser = new_parser()
    assert normalise(parser.feed(b"GET / HTTP/2.0\r\n\r\n"), with_headers=False) == [reject(505)]
    assert parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") == []
    assert parser.dead


def versions(*chunks: bytes) -> list[tuple[str, bool]]:
    """Feed ``chunks`` in order; the (version, keep_alive) of every head, or a Reject."""
    parser = new_parser()
    out: list[tuple[str, bool]] = []
    for chunk in chunks:
        for event in parser.feed(chunk):
            if isinstance(event, RequestHead):
                out.append((event.version, event.keep_alive))
            elif isinstance(event, Reject):
                out.append((f"reject {event.status}", False))
    return out


V10 = b"GET /a HTTP/1.0\r\nHost: a\r\n\r\n"
V10_KEEP = b"GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
V11 = b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n"


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        # Several heads in one read: each has its own version, whichever comes first.
        ((V11 + V10_KEEP + V11,), [("1.1", True), ("1.0", True), ("1.1", True)]),
        ((V10_KEEP + V11 + V10,), [("1.0", True), ("1.1", True), ("1.0", False)]),
        # A head split inside the method, the target or the version.
        ((b"GE", b"T /a HTTP/1.0\r\nHost: a\r\n\r\n"), [("1.0", False)]),
        ((b"GET /a HT", b"TP/1.0\r\nHost: a\r\n\r\n"), [("1.0", False)]),
        ((b"GET /a HTTP/1.0", b"\r\nHost: a\r\n\r\n"), [("1.0", False)]),
        ((b"GET /a HTTP/1.0\r", b"\nHost: a\r\n\r\n"), [("1.0", False)]),
        # A read that ends one head and starts the next.
        ((V11 + b"GET /a HTT", b"P/1.0\r\nHost: a\r\n\r\n"), [("1.1", True), ("1.0", False)]),
        # An empty line before a head (tolerated between requests).
        ((V11, b"\r\n" + V10), [("1.1", True), ("1.0", False)]),
        # A header value that looks like a version is not the request line's version.
        ((b"GET /a HTTP/1.0\r\nX-Via: HTTP/1.1\r\n\r\n",), [("1.0", False)]),
        ((b"GET /a HTTP/1.1\r\nHost: a\r\nX-Via: HTTP/1.0\r\n\r\n",), [("1.1", True)]),
        # A body, then the next head in the same read.
        (
            (b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok" + V10,),
            [("1.1", True), ("1.0", False)],
        ),
        ((b"GET /a HTTP/1.2\r\nHost: a\r\n\r\n",), [("reject 505", False)]),
        ((b"GET /a HTTP/1.0\nX-Via: HTTP/1.1\r\n\r\n",), [("reject 400", False)]),
    ],
)
def test_each_head_gets_its_own_version(chunks: tuple[bytes, ...], expected: list[object]) -> None:
    assert versions(*chunks) == expected
