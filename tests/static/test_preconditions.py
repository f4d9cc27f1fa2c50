"""Validators, ranges, content types and Content-Disposition as plain functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.files import content_disposition, guess_content_type
from stario.headers import Headers
from stario.preconditions import (
    UNSATISFIABLE,
    http_date,
    if_range_allows,
    none_match,
    not_modified,
    parse_http_date,
    parse_range,
)

EPOCH_784111777 = "Sun, 06 Nov 1994 08:49:37 GMT"


@pytest.mark.parametrize(
    "value",
    [EPOCH_784111777, "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"],
)
def test_the_three_http_date_forms(value: str) -> None:
    assert parse_http_date(value) == 784111777


@pytest.mark.parametrize("value", ["", "yesterday", "Sun, 99 Nov 1994 08:49:37 GMT", "1994"])
def test_bad_dates_are_none(value: str) -> None:
    assert parse_http_date(value) is None


def test_http_date_round_trip() -> None:
    assert http_date(784111777) == EPOCH_784111777


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        (' "x" , "abc" ', True),
        ('"x",,"abc"', True),
        ("*", True),
        ('"abcd"', False),
        ('"ab"', False),
        ("abc", False),
        ('"x", garbage, "abc"', False),  # malformed lists never match
        ("", False),
    ],
)
def test_if_none_match(header: str, matches: bool) -> None:
    assert none_match(header, '"abc"') is matches


def test_if_none_match_against_a_weak_tag() -> None:
    assert none_match('"abc"', 'W/"abc"')


def test_not_modified_prefers_if_none_match() -> None:
    fresh = Headers({"if-none-match": '"a"', "if-modified-since": EPOCH_784111777})
    assert not_modified(fresh, '"a"', 784111777)
    assert not not_modified(fresh, '"b"', 0)  # If-Modified-Since is not looked at
    assert not_modified(Headers({"if-modified-since": EPOCH_784111777}), '"b"', 784111777)
    assert not not_modified(Headers({"if-modified-since": EPOCH_784111777}), '"b"', 784111778)
    assert not not_modified(Headers(), '"a"', 0)


@pytest.mark.parametrize(
    ("value", "allowed"),
    [('"abc"', True), ('W/"abc"', False), ('"other"', False), (EPOCH_784111777, True)],
)
def test_if_range(value: str, allowed: bool) -> None:
    assert if_range_allows(value, '"abc"', 784111777) is allowed
    assert not if_range_allows('W/"abc"', 'W/"abc"', 0)  # weak tags never allow a range


@pytest.mark.parametrize(
    ("value", "size", "expected"),
    [
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=0-", 10, (0, 9)),
        ("bytes=3-5", 10, (3, 5)),
        ("bytes=3-500", 10, (3, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=9-9", 10, (9, 9)),
        ("bytes=10-", 10, UNSATISFIABLE),
        ("bytes=10-20", 10, UNSATISFIABLE),
        ("bytes=-0", 10, UNSATISFIABLE),
        ("bytes=5-3", 10, None),
        ("bytes=0-1,3-4", 10, None),
        ("bytes=-", 10, None),
        ("bytes=a-b", 10, None),
        ("pages=0-1", 10, None),
        ("bytes=0-5", 0, None),  # an empty file has nothing to range over
        ("bytes=00000000000000000000001-2", 10, (1, 2)),
    ],
)
def test_parse_range(value: str, size: int, expected: object) -> None:
    assert parse_range(value, size) == expected


@given(st.text(max_size=40), st.integers(min_value=0, max_value=10**12))
def test_parse_range_never_raises_and_stays_in_bounds(value: str, size: int) -> None:
    result = parse_range(value, size)
    if isinstance(result, tuple):
        first, last = result
        assert 0 <= first <= last < size


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_parse_range_of_valid_specs(first: int, size: int) -> None:
    result = parse_range(f"bytes={first}-", size)
    if size == 0:
        assert result is None
    elif first >= size:
        assert result is UNSATISFIABLE
    else:
        assert result == (first, size - 1)


@given(st.text(max_size=40), st.booleans())
def test_content_disposition_is_always_a_safe_header(name: str, inline: bool) -> None:
    value = content_disposition(name, inline=inline)
    assert value.isascii()
    assert value.isprintable()
    assert value.count('"') == 2
    Headers().set("content-disposition", value)  # raises on CR, LF or NUL


@pytest.mark.parametrize(
    ("name", "ctype"),
    [
        ("a.js", "text/javascript; charset=utf-8"),
        ("a.MJS", "text/javascript; charset=utf-8"),
        ("a.css", "text/css; charset=utf-8"),
        ("a.html", "text/html; charset=utf-8"),
        ("a.svg", "image/svg+xml; charset=utf-8"),
        ("a.wasm", "application/wasm"),
        ("a.woff2", "font/woff2"),
        ("a.json", "application/json"),
        ("a.js.map", "application/json"),
        ("a.tar.gz", "application/gzip"),
        ("a.weird-extension", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_guess_content_type(name: str, ctype: str) -> None:
    assert guess_content_type(name) == ctype
