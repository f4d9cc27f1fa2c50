"""QueryParams, MultiDict and FormData behaviour."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.forms import UploadFile
from stario.multidict import FormData, MultiDict, QueryParams, parse_query_pairs


def test_repeated_keys_and_bare_names() -> None:
    q = QueryParams(b"a=1&a=2&b")
    assert q.get("a") == "1"
    assert q["a"] == "1"
    assert q.getlist("a") == ["1", "2"]
    assert q.get("b") == ""
    assert "b" in q
    assert len(q) == 2
    assert list(q) == ["a", "b"]
    assert q.keys() == ["a", "b"]
    assert q.values() == ["1", "2", ""]
    assert q.items() == [("a", "1"), ("a", "2"), ("b", "")]
    assert q.multi_items() == q.items()


def test_missing_keys() -> None:
    q = QueryParams("a=1")
    assert q.get("zz") is None
    assert q.get("zz", "d") == "d"
    assert q.getlist("zz") == []
    assert "zz" not in q
    assert 1 not in q
    with pytest.raises(KeyError):
        q["zz"]


def test_plus_and_percent_decode_to_spaces() -> None:
    q = QueryParams("q=hello+world&r=hello%20world&s=a%2Bb&t=%E2%82%AC")
    assert q["q"] == "hello world"
    assert q["r"] == "hello world"
    assert q["s"] == "a+b"
    assert q["t"] == "€"


def test_blank_values_and_empty_pieces() -> None:
    q = QueryParams(b"&&a=&=x&b==c&&")
    assert q.items() == [("a", ""), ("", "x"), ("b", "=c")]


def test_bad_escapes_never_raise() -> None:
    q = QueryParams(b"a=%zz&b=%ff&c=%&d=\xff")
    assert q["a"] == "%zz"
    assert q["b"] == "\ufffd"
    assert q["c"] == "%"
    assert q["d"] == "\ufffd"


def test_str_and_bytes_agree() -> None:
    assert QueryParams("a=%C3%A9&b=é").items() == QueryParams("a=é&b=é".encode()).items()


def test_only_first_thousand_pairs_are_parsed() -> None:
    raw = "&".join(f"k{i}={i}" for i in range(1500))
    q = QueryParams(raw)
    assert len(q) == 1000
    assert q.items()[-1] == ("k999", "999")
    assert "k1000" not in q


def test_empty_pieces_do_not_count_towards_the_bound() -> None:
    q = QueryParams("&" * 5000 + "a=1")
    assert q["a"] == "1"


def test_parse_query_pairs_bound() -> None:
    assert parse_query_pairs("a=1&b=2&c=3", max_pairs=2) == [("a", "1"), ("b", "2")]
    assert parse_query_pairs("a=1", max_pairs=0) == []
    assert parse_query_pairs("") == []


_QS_ALPHABET = st.sampled_from(list("ab=&+%;2F0fEzé é"))


@given(st.text(_QS_ALPHABET, max_size=60))
def test_matches_parse_qsl(raw: str) -> None:
    assert QueryParams(raw).items() == parse_qsl(raw, keep_blank_values=True)


def test_equality_ignores_key_order_but_not_value_order() -> None:
    assert QueryParams("a=1&b=2") == QueryParams(b"b=2&a=1")
    assert QueryParams("a=1&a=2") != QueryParams("a=2&a=1")
    assert QueryParams("a=1") == MultiDict([("a", "1")])
    assert QueryParams("a=1") != {"a": "1"}


def test_repr_shows_pairs() -> None:
    assert repr(QueryParams("a=1&a=2")) == "QueryParams([('a', '1'), ('a', '2')])"


def test_multidict_from_pairs() -> None:
    md: MultiDict[int] = MultiDict([("x", 1), ("y", 2), ("x", 3)])
    assert md["x"] == 1
    assert md.getlist("x") == [1, 3]
    assert md.keys() == ["x", "y"]
    assert md.values() == [1, 2, 3]
    assert len(MultiDict[int]()) == 0


async def test_form_data_close_closes_uploads() -> None:
    upload = UploadFile("a.txt", "text/plain")
    await upload.write(b"hi")
    form = FormData([("f", upload), ("t", "text")])
    assert form["t"] == "text"
    assert form["f"] is upload
    await form.close()
    assert upload.file.closed


async def test_form_data_is_an_async_context_manager() -> None:
    upload = UploadFile("a.txt")
    async with FormData([("f", upload)]) as form:
        assert form.getlist("f") == [upload]
    assert upload.file.closed
