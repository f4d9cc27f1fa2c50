"""Cookie header parsing and Set-Cookie formatting."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.cookies import delete_cookie, format_set_cookie, parse_cookie_header, set_cookie
from stario.errors import StarioError
from stario.headers import Headers


class FakeWriter:
    def __init__(self) -> None:
        self.headers = Headers()


# --- parsing -------------------------------------------------------------------------------


def test_parse_simple_header() -> None:
    assert parse_cookie_header("a=1; b=2") == {"a": "1", "b": "2"}


def test_parse_strips_whitespace_and_quotes() -> None:
    assert parse_cookie_header('  a = 1 ;b="two words";c=""') == {
        "a": "1",
        "b": "two words",
        "c": "",
    }


def test_parse_first_occurrence_wins() -> None:
    assert parse_cookie_header("a=1; a=2") == {"a": "1"}


def test_parse_skips_malformed_pieces() -> None:
    assert parse_cookie_header("junk; =x; ;; c=3; d=e=f") == {"c": "3", "d": "e=f"}


def test_parse_empty_header() -> None:
    assert parse_cookie_header("") == {}


def test_parse_keeps_percent_escapes() -> None:
    assert parse_cookie_header("a=%20x") == {"a": "%20x"}


@given(st.text())
def test_parse_never_raises(header: str) -> None:
    result = parse_cookie_header(header)
    assert all(isinstance(k, str) and k for k in result)


_NAMES = st.text(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~", min_size=1)
_VALUES = st.text("".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\'), max_size=30)


@given(st.dictionaries(_NAMES, _VALUES, max_size=8))
def test_formatted_cookies_parse_back(cookies: dict[str, str]) -> None:
    header = "; ".join(
        format_set_cookie(k, v, secure=True).split(";")[0] for k, v in cookies.items()
    )
    assert parse_cookie_header(header) == cookies


# --- formatting ----------------------------------------------------------------------------


def test_default_attributes() -> None:
    assert format_set_cookie("sid", "abc") == "sid=abc; Path=/; SameSite=Lax"


def test_every_attribute() -> None:
    header = format_set_cookie(
        "sid",
        "abc",
        max_age=60,
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="NONE",
        partitioned=True,
    )
    assert header == (
        "sid=abc; Max-Age=60; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Domain=example.com; "
        "Path=/app; Secure; HttpOnly; SameSite=None; Partitioned"
    )


def test_no_path_and_no_samesite() -> None:
    assert format_set_cookie("a", "b", path=None, samesite=None) == "a=b"


@pytest.mark.parametrize(
    ("samesite", "written"), [("lax", "Lax"), ("Strict", "Strict"), ("LAX", "Lax")]
)
def test_samesite_case_insensitive(samesite: str, written: str) -> None:
    assert format_set_cookie("a", "b", samesite=samesite).endswith(f"SameSite={written}")


def test_max_age_timedelta_and_negative() -> None:
    assert "Max-Age=86400;" in format_set_cookie("a", "b", max_age=timedelta(days=1))
    assert "Max-Age=0;" in format_set_cookie("a", "b", max_age=-5)


def test_expires_converted_to_gmt() -> None:
    plus_two = timezone(timedelta(hours=2))
    header = format_set_cookie("a", "b", expires=datetime(2030, 1, 1, 2, 0, tzinfo=plus_two))
    assert "Expires=Tue, 01 Jan 2030 00:00:00 GMT;" in header


def test_expires_naive_datetime_is_utc() -> None:
    header = format_set_cookie("a", "b", expires=datetime(2030, 1, 1, 12, 0))
    assert "Expires=Tue, 01 Jan 2030 12:00:00 GMT;" in header


def test_expires_epoch_seconds() -> None:
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT;" in format_set_cookie("a", "b", expires=0)
    assert "Expires=Thu, 01 Jan 1970 00:00:01 GMT;" in format_set_cookie("a", "b", expires=1.5)


def test_quoted_and_empty_values_allowed() -> None:
    assert format_set_cookie("a", '"xyz"').startswith('a="xyz";')
    assert format_set_cookie("a", "").startswith("a=;")


@pytest.mark.parametrize("name", ["", "a b", "a;b", "a=b", "é", "a\n", "(x)"])
def test_invalid_names_rejected(name: str) -> None:
    with pytest.raises(StarioError, match="invalid cookie name"):
        format_set_cookie(name, "v")


@pytest.mark.parametrize("value", ["a b", "a;b", 'a"b', "a,b", "a\\b", "é", "x\r\n", '"a'])
def test_invalid_values_rejected_with_help(value: str) -> None:
    with pytest.raises(StarioError) as info:
        format_set_cookie("a", value)
    assert "base64" in str(info.value)
    assert "urllib.parse.quote" in str(info.value)


def test_oversized_cookie_rejected() -> None:
    with pytest.raises(StarioError, match="4096"):
        format_set_cookie("a", "x" * 4096)


def test_samesite_none_requires_secure() -> None:
    with pytest.raises(StarioError, match="Secure"):
        format_set_cookie("a", "b", samesite="none")


def test_unknown_samesite_rejected() -> None:
    with pytest.raises(StarioError, match="samesite"):
        format_set_cookie("a", "b", samesite="loose")


def test_partitioned_requires_secure() -> None:
    with pytest.raises(StarioError, match="Secure"):
        format_set_cookie("a", "b", partitioned=True)


def test_prefixed_names_follow_their_rules() -> None:
    with pytest.raises(StarioError, match="secure=True"):
        format_set_cookie("__Secure-id", "1")
    with pytest.raises(StarioError, match="__Host-"):
        format_set_cookie("__Host-id", "1", secure=True, domain="example.com")
    with pytest.raises(StarioError, match="__Host-"):
        format_set_cookie("__host-id", "1", secure=True, path="/app")
    assert format_set_cookie("__Host-id", "1", secure=True).startswith("__Host-id=1;")


@pytest.mark.parametrize(("attr", "value"), [("path", "/a;b"), ("domain", "x\r\ny")])
def test_attribute_injection_rejected(attr: str, value: str) -> None:
    with pytest.raises(StarioError):
        format_set_cookie("a", "b", **{attr: value})  # type: ignore[arg-type]


def test_wrong_types_rejected() -> None:
    with pytest.raises(StarioError, match="max_age"):
        format_set_cookie("a", "b", max_age=True)
    with pytest.raises(StarioError, match="expires"):
        format_set_cookie("a", "b", expires="tomorrow")  # type: ignore[arg-type]


# --- writer helpers ------------------------------------------------------------------------


def test_set_cookie_adds_a_header_per_call() -> None:
    w = FakeWriter()
    set_cookie(w, "a", "1", httponly=True)
    set_cookie(w, "b", "2", secure=True, samesite="strict")
    assert w.headers.getlist("set-cookie") == [
        "a=1; Path=/; HttpOnly; SameSite=Lax",
        "b=2; Path=/; Secure; SameSite=Strict",
    ]


def test_set_cookie_validates_before_adding() -> None:
    w = FakeWriter()
    with pytest.raises(StarioError):
        set_cookie(w, "a", "bad value")
    assert w.headers.getlist("set-cookie") == []


def test_delete_cookie() -> None:
    w = FakeWriter()
    delete_cookie(w, "sid", path="/app", domain="example.com", secure=True, httponly=True)
    assert w.headers.getlist("set-cookie") == [
        "sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; "
        "Path=/app; Secure; HttpOnly; SameSite=Lax"
    ]
