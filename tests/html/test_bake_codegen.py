"""@baked code generation: tricky markup and arguments render exactly like the builder."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario import html as h
from stario.html import Element, SafeString, baked, render

TRICKY = [
    "",
    "plain",
    "a & b",
    "<b>bold</b>",
    "</script><script>alert(1)</script>",
    "\"double\" and 'single'",
    "{braces} {{double}} {0} {x!r}",
    "back\\slash \\n \\x00 \\u1234",
    "\"\"\"triple\"\"\" '''quotes'''",
    "unicode: é ü 漢字 🎉 \u2028 \u0000",
    "&amp; already escaped &lt;",
    "line\nbreak\ttab\r\n",
]


def static_heavy(x: Any, y: Any) -> Element:
    # Static markup full of characters that would break naive source generation.
    return h.Div(
        {"title": 'st"at{ic}\\', "data-q": '\'"""\''},
        h.Script(SafeString('if (a) { b = "\\n}"; } // """ \'\'\' {x}')),
        x,
        h.Span({"class": ["c", y], "data-v": y}, "{y} \\ é 🎉"),
        h.Pre('f\'{x}\' """ \\'),
    )


baked_static_heavy = baked(static_heavy)


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_text_in_children_and_attributes(value: str) -> None:
    assert baked_static_heavy(value, value) == static_heavy(value, value)
    assert str(baked_static_heavy.map([(value, value)])) == str(static_heavy(value, value))


def test_escaping_is_exact() -> None:
    @baked
    def t(text: Any, value: Any) -> Element:
        return h.A({"href": value}, text)

    out = t("</script>&\"'", "</script>&\"'")
    assert str(out) == ('<a href="&lt;/script&gt;&amp;&quot;&#39;">&lt;/script&gt;&amp;"\'</a>')


@pytest.mark.parametrize(
    "value",
    [
        SafeString("<i>kept</i>"),
        None,
        True,
        False,
        0,
        -1.5,
        ["a<", None, False, ("b>", ["c&"])],
        ("t",),
        h.B("x&"),
        SafeString('a"b'),
    ],
)
def test_non_str_values_follow_the_builder_rules(value: Any) -> None:
    @baked
    def t(v: Any) -> Element:
        return h.Input({"value": v, "aria-hidden": v})

    @baked
    def c(v: Any) -> Element:
        return h.P(v, h.I(v))

    assert t(value) == h.Input({"value": value, "aria-hidden": value})
    assert c(value) == h.P(value, h.I(value))


def test_one_attribute_argument_not_a_str_switches_every_attribute_to_the_rules() -> None:
    @baked
    def t(a: Any, b: Any) -> Element:
        return h.Div({"id": a, "title": b, "hidden": b})

    assert str(t("x&", None)) == '<div id="x&amp;" title hidden></div>'
    assert str(t("x&", False)) == '<div id="x&amp;"></div>'
    assert str(t(True, "y")) == '<div id title="y" hidden="y"></div>'
    assert str(t("x", "y")) == '<div id="x" title="y" hidden="y"></div>'


def test_a_parameter_used_as_child_attribute_and_list_item_is_escaped_per_place() -> None:
    def template(a: Any) -> Element:
        return h.A({"href": a, "class": ["btn", a]}, a, h.B(a))

    fast = baked(template)
    for value in ["x\"<&>'", None, SafeString("<s>"), ["p", "q"], 3]:
        expected = template(value)
        assert fast(value) == expected
        assert fast.map([value]) == h.Fragment(expected)


def test_nested_baked_results_are_spliced_without_escaping_again() -> None:
    @baked
    def item(text: str) -> Element:
        return h.Li(text)

    @baked
    def listing(items: Any) -> Element:
        return h.Ul(items)

    one = item("a&b")
    assert isinstance(one, Element)
    assert str(listing(one)) == "<ul><li>a&amp;b</li></ul>"
    assert str(listing([one, h.Li("<x>"), None, "t&", [item("c")]])) == (
        "<ul><li>a&amp;b</li><li>&lt;x&gt;</li>t&amp;<li>c</li></ul>"
    )
    assert str(listing(item.map(["1", "2"]))) == "<ul><li>1</li><li>2</li></ul>"
    assert str(listing(x for x in [one])) == "<ul><li>a&amp;b</li></ul>"


def test_baked_results_work_everywhere_an_element_does() -> None:
    @baked
    def item(text: str) -> Element:
        return h.Li(text)

    one = item("x")
    assert one == h.Li("x")
    assert h.Li("x") == one
    assert hash(one) == hash(h.Li("x"))
    assert repr(one) == "Element('<li>x</li>')"
    assert str(h.Ul(one)) == str(h.Ul({"id": "u"}, one)).replace(' id="u"', "")
    assert str(h.Ul(one, one)) == "<ul><li>x</li><li>x</li></ul>"
    assert str(h.Ul([one, h.Li("y")])) == "<ul><li>x</li><li>y</li></ul>"
    assert render(one, "&") == "<li>x</li>&amp;"
    assert str(h.Fragment(one)) == "<li>x</li>"


def test_parameters_named_like_the_builtins_used_by_generated_code() -> None:
    @baked
    def t(str: Any, type: Any, list: Any, object: Any = None) -> Element:
        return h.P({"class": type}, str, list, object)

    assert t("<", "k", ["a", "b"]).__html__() == '<p class="k">&lt;ab</p>'


def test_templates_without_slots_return_their_markup() -> None:
    @baked
    def static() -> Element:
        return h.P({"title": '"{}"'}, "{x} \\")

    assert static() == h.P({"title": '"{}"'}, "{x} \\")
    assert str(static.map([(), ()])) == str(static()) * 2


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(),
    st.text().map(SafeString),
    st.text().map(h.B),
    st.lists(st.one_of(st.none(), st.text(), st.text().map(h.I)), max_size=3),
)


def mixed(a: Any, b: Any, c: Any) -> Element:
    return h.Div(
        {"id": a, "title": b, "data-c": c},
        a,
        h.Span({"class": ["s", c]}, b),
        c,
    )


baked_mixed = baked(mixed)


@given(st.text(), values, values)
def test_any_argument_renders_like_the_builder_in_calls_and_map(a: str, b: Any, c: Any) -> None:
    try:
        expected = mixed(a, b, c)
    except TypeError:  # e.g. True as a class token: the baked template refuses it too
        with pytest.raises(TypeError):
            baked_mixed(a, b, c)
        return
    assert baked_mixed(a, b, c) == expected
    assert baked_mixed.map([(a, b, c), (a, b, c)]) == h.Fragment(expected, expected)
