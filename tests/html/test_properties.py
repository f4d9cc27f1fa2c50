"""Property tests: user text can never change the structure of the markup."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stario import html as h
from stario.html import Element, baked
from tests.html.parse import parse, text

texts = st.text()
names = st.text(min_size=1, max_size=12)


def page(child: str, value: str, comment: Element) -> Element:
    return h.Div(
        {"title": value, "data-x": value, "class": ["c", value]},
        child,
        h.Span(child),
        h.A({"href": value}, comment, child),
        h.Br({"alt": value}),
        h.Textarea(child),
    )


def expected_events(child: str, value: str) -> list[Any]:
    token = "c " + value if value else "c"
    return [
        ("start", "div", [("title", value), ("data-x", value), ("class", token)]),
        *text(child),
        ("start", "span", []),
        *text(child),
        ("end", "span"),
        ("start", "a", [("href", value)]),
        ("comment", " " + re.sub("-(?=-)", "- ", child) + " "),
        *text(child),
        ("end", "a"),
        ("start", "br", [("alt", value)]),
        ("start", "textarea", []),
        *text(child),
        ("end", "textarea"),
        ("end", "div"),
    ]


@given(texts, texts)
def test_text_and_attribute_values_round_trip(child: str, value: str) -> None:
    assert parse(str(page(child, value, h.Comment(child)))) == expected_events(child, value)


baked_page = baked(page)


@given(texts, texts)
def test_baked_templates_round_trip_and_match_the_builder(child: str, value: str) -> None:
    out = baked_page(child, value, h.Comment(child))
    assert out == page(child, value, h.Comment(child))
    assert parse(str(out)) == expected_events(child, value)


@given(texts)
def test_comment_text_never_ends_the_comment(body: str) -> None:
    events = parse(str(h.Div(h.Comment(body), h.I("after"))))
    assert [e[0] for e in events] == ["start", "comment", "start", "data", "end", "end"]
    assert "--" not in events[1][1]


@given(names)
def test_accepted_attribute_names_parse_as_exactly_that_attribute(name: str) -> None:
    try:
        markup = str(h.Div({name: "v"}))
    except ValueError:
        return
    assert parse(markup) == [("start", "div", [(name.lower(), "v")]), ("end", "div")]


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    texts,
    st.lists(st.one_of(st.none(), texts, st.integers()), max_size=3),
)


@given(values, values)
def test_baked_attribute_and_child_slots_match_the_builder(a: Any, b: Any) -> None:
    def template(x: Any, y: Any) -> Element:
        return h.P({"data-a": x, "class": ["k", y]}, x, h.Em(y))

    if isinstance(b, bool) and b:
        return  # True is not a class token, for the builder and the baked template alike
    assert baked(template)(a, b) == template(a, b)
