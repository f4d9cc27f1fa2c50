"""at.*: action expressions, options only when not default, values that cannot escape."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.datastar import JS, at
from stario.datastar.js import js_regex, js_string, js_value

METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.mark.parametrize("method", METHODS)
def test_plain_actions(method: str) -> None:
    assert getattr(at, method)("/x") == f"@{method}('/x')"


@pytest.mark.parametrize("method", METHODS)
def test_default_options_are_left_out(method: str) -> None:
    action = getattr(at, method)(
        "/x",
        content_type="json",
        filter_signals=None,
        headers={},
        open_when_hidden=method != "get",
        retry="auto",
        retry_interval=1000,
        retry_scaler=2,
        retry_max_wait=30000,
        retry_max_count=10,
        request_cancellation="auto",
    )
    assert action == f"@{method}('/x')"


def test_every_option_with_its_datastar_name() -> None:
    action = at.post(
        "/todos",
        content_type="form",
        filter_signals={"include": "^foo", "exclude": re.compile(r"(^|\.)_", re.I)},
        selector="#todo-form",
        headers={"X-Csrf-Token": "abc"},
        open_when_hidden=False,
        payload={"id": 7, "tags": ["a"]},
        retry="error",
        retry_interval=500,
        retry_scaler=1.5,
        retry_max_wait=10000,
        retry_max_count=3,
        request_cancellation="disabled",
    )
    assert action == (
        "@post('/todos', {contentType: 'form', "
        "filterSignals: {include: /^foo/, exclude: /(^|\\.)_/i}, selector: '#todo-form', "
        "headers: {'X-Csrf-Token': 'abc'}, openWhenHidden: false, payload: {id: 7, tags: ['a']}, "
        "retry: 'error', retryInterval: 500, retryScaler: 1.5, retryMaxWait: 10000, "
        "retryMaxCount: 3, requestCancellation: 'disabled'})"
    )


def test_open_when_hidden_defaults_differ_by_method() -> None:
    assert at.get("/x", open_when_hidden=True) == "@get('/x', {openWhenHidden: true})"
    assert at.put("/x", open_when_hidden=True) == "@put('/x')"
    assert at.delete("/x", open_when_hidden=False) == "@delete('/x', {openWhenHidden: false})"


def test_raw_javascript_options() -> None:
    assert at.get("/x", request_cancellation=JS("$controller")) == (
        "@get('/x', {requestCancellation: $controller})"
    )
    assert at.post("/x", payload=JS("{n: $n}")) == "@post('/x', {payload: {n: $n}})"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"content_type": "xml"}, "invalid content_type"),
        ({"retry": "sometimes"}, "invalid retry"),
        ({"request_cancellation": "never"}, "invalid request_cancellation"),
        ({"filter_signals": {"only": "x"}}, "include and exclude"),
        ({"filter_signals": {}}, "needs include"),
        ({"retry_interval": -5}, "retry_interval must be a number"),
        ({"retry_scaler": float("nan")}, "retry_scaler must be a number"),
        ({"retry_max_count": True}, "retry_max_count must be a number"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        at.post("/x", **kwargs)


def test_url_is_required() -> None:
    with pytest.raises(ValueError, match="needs a URL"):
        at.get("")


def test_urls_are_escaped_into_the_string() -> None:
    url = "/a'b\\c\nd\r</script><!--$sig@get(\"`\u2028"
    assert at.get(url) == (
        "@get('/a\\x27b\\x5Cc\\x0Ad\\x0D\\x3C/script\\x3E\\x3C!--\\x24sig\\x40get(\\x22\\x60\\u2028')"
    )


def js_string_decode(literal: str) -> str:
    """Read back a literal written by js_string (only the escapes it uses)."""
    assert literal[0] == literal[-1] == "'"
    body = literal[1:-1]
    assert re.search(r"['\"<\n]", body) is None
    return re.sub(
        r"\\x([0-9A-F]{2})|\\u([0-9a-f]{4})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        body,
    )


@given(st.text())
def test_any_string_round_trips_without_dangerous_characters(text: str) -> None:
    literal = js_string(text)
    assert js_string_decode(literal) == text
    assert re.search(r"[\r\n$@`\u2028\u2029]", literal) is None
    assert re.search(r"\\\\|\\'", literal) is None  # no escape Datastar could misread


def test_peek_set_all_toggle_all() -> None:
    assert at.peek("$bar") == "@peek(() => ($bar))"
    assert at.set_all(True) == "@setAll(true)"
    assert at.set_all("") == "@setAll('')"
    assert at.set_all(JS("$other"), include="^user\\.", exclude="_temp$") == (
        "@setAll($other, {include: /^user\\./, exclude: /_temp$/})"
    )
    assert at.toggle_all() == "@toggleAll()"
    assert at.toggle_all(include=re.compile("^is", re.M)) == "@toggleAll({include: /^is/m})"


def test_js_values() -> None:
    assert js_value(None) == "null"
    assert js_value([1, -2.5, 1e-05, False, None]) == "[1, -2.5, 1e-05, false, null]"
    assert js_value({"a b": {"c": "d"}}) == "{'a b': {c: 'd'}}"
    assert js_value({"$x": 1}) == "{'\\x24x': 1}"
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match="no JavaScript literal"):
            js_value(bad)
    with pytest.raises(TypeError, match="cannot write a set"):
        js_value({1})
    with pytest.raises(TypeError, match="keys must be strings"):
        js_value({1: 2})


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("", "/(?:)/"),
        ("a/b", "/a\\/b/"),
        ("a\\/b", "/a\\/b/"),
        ("line\nend", "/line\\nend/"),
        ("x\\\ny", "/x\\ny/"),
        ("\\$price", "/\\x24price/"),
        ("me@host", "/me\\x40host/"),
        ("trailing\\", "/trailing\\\\/"),
        (re.compile("^a.b$", re.I | re.S), "/^a.b$/is"),
    ],
)
def test_regex_literals(pattern: str | re.Pattern[str], literal: str) -> None:
    assert js_regex(pattern) == literal
