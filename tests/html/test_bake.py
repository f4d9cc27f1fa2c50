"""@baked templates: slots in children and attributes, signatures, refused uses."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from stario import html as h
from stario.html import Element, SafeString, baked, render


def plain_row(name: Any, price: Any, href: Any) -> Element:
    return h.Tr(h.Td(h.A({"href": href}, name)), h.Td(price))


row = baked(plain_row)


def test_child_and_attribute_slots_are_escaped() -> None:
    out = row("<b>&", "9.99", '/p?a=1&b="2"')
    assert str(out) == (
        '<tr><td><a href="/p?a=1&amp;b=&quot;2&quot;">&lt;b&gt;&amp;</a></td><td>9.99</td></tr>'
    )
    assert isinstance(out, Element)


@pytest.mark.parametrize(
    "value",
    [
        "text",
        SafeString("<i>trusted</i>"),
        h.Span({"class": "x"}, "node"),
        ["a", h.B("b"), None, ("c",)],
        None,
        True,
        False,
        7,
        2.5,
    ],
)
def test_child_slot_values_render_like_the_builder(value: Any) -> None:
    @baked
    def t(v: Any) -> Element:
        return h.Div("before", v, "after")

    assert t(value) == h.Div("before", value, "after")


def test_child_slot_takes_a_generator() -> None:
    @baked
    def t(v: Any) -> Element:
        return h.Ul(v)

    assert str(t(h.Li(x) for x in "ab")) == "<ul><li>a</li><li>b</li></ul>"


@pytest.mark.parametrize(
    "value",
    ["x\"y'<>&", SafeString("&amp;"), True, False, None, 0, 1.5, ["a", None, "b"], {"k": [1]}],
)
def test_attribute_slot_values_follow_the_attribute_rules(value: Any) -> None:
    @baked
    def t(v: Any) -> Element:
        return h.Input({"type": "text", "value": v})

    assert t(value) == h.Input({"type": "text", "value": value})


def test_slots_inside_list_style_and_json_values_render_exactly() -> None:
    def template(cls: Any, color: Any, count: Any, active: Any) -> Element:
        return h.Div(
            {"class": ["row", cls]},
            {"class": count},
            {"style": {"color": color, "margin": 0}, "data-signals": {"count": count}},
            {"data": {"show": active}, "aria": {"hidden": active}},
        )

    fast = baked(template)
    cases = [("hot", "red", 1, "on"), (None, None, None, None), (["a", "b"], 0, [1], True)]
    for args in cases:
        assert fast(*args) == template(*args)


def test_data_and_style_slots_take_whole_dicts() -> None:
    @baked
    def t(data: Any, style: Any) -> Element:
        return h.Div({"data": data, "style": style})

    assert str(t({"a": 1}, {"color": "red"})) == '<div data-a="1" style="color:red"></div>'
    assert str(t("plain", False)) == '<div data="plain"></div>'
    assert str(t("plain", None)) == '<div data="plain" style></div>'  # None is bare, like True


def test_keyword_positional_and_default_arguments() -> None:
    @baked
    def t(a: str, /, b: str, c: str = "C", *, d: str, e: str = "E") -> Element:
        return h.P(a, b, c, d, e)

    assert str(t("a", "b", d="d")) == "<p>abCdE</p>"
    assert str(t("a", c="c", b="b", d="d", e="e")) == "<p>abcde</p>"
    with pytest.raises(TypeError):
        t(a="a", b="b", d="d")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        t("a", "b", "c", "d")  # type: ignore[call-arg]


def test_signature_name_and_doc_are_preserved() -> None:
    @baked
    def card(title: str, body: str = "") -> Element:
        """A card."""
        return h.Div(h.H2(title), body)

    assert card.__name__ == "card"
    assert card.__doc__ == "A card."
    assert str(inspect.signature(card)) == "(title: 'str', body: 'str' = '') -> 'Element'"


def test_parameters_used_twice_and_unused() -> None:
    @baked
    def t(a: str, unused: str) -> Element:
        return h.A({"href": a, "title": a}, a)

    assert str(t("x&", "ignored")) == '<a href="x&amp;" title="x&amp;">x&amp;</a>'


def test_templates_without_parameters_and_returning_fragments() -> None:
    @baked
    def static() -> Element:
        return h.Hr()

    @baked
    def pair(a: str, b: str) -> list[Element]:
        return [h.Dt(a), h.Dd(b)]

    assert str(static()) == "<hr>"
    assert str(pair("k", "v")) == "<dt>k</dt><dd>v</dd>"


def test_baked_results_compose() -> None:
    @baked
    def item(text: str) -> Element:
        return h.Li(text)

    @baked
    def listing(items: Any, label: str) -> Element:
        return h.Ul({"aria-label": label}, items, item(label))

    out = listing([item("a<"), item("b")], "L&")
    assert str(out) == '<ul aria-label="L&amp;"><li>a&lt;</li><li>b</li><li>L&amp;</li></ul>'
    assert render(out, item("c")) == str(out) + "<li>c</li>"
    assert str(h.Div(out)).startswith("<div><ul")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (lambda x: h.P("yes" if x else "no"), "condition"),
        (lambda x: h.P(f"Hello {x}"), "f-string"),
        (lambda x: h.P(str(x)), "str()"),
        (lambda x: h.Ul([h.Li(i) for i in x]), "loop"),
        (lambda x: h.P(x.upper()), "attribute lookup"),
        (lambda x: h.P(x + "!"), "arithmetic or string operation"),
        (lambda x: h.P(x == "a"), "comparison"),
        (lambda x: h.P(x["k"]), "index or key lookup"),
        (lambda x: h.P(len(x)), "len()"),
        (lambda x: h.Comment(x), "a comment"),
    ],
)
def test_unsupported_uses_of_a_parameter_fail_at_decoration(body: Any, what: str) -> None:
    with pytest.raises(TypeError, match=what) as info:
        baked(body)
    assert "x" in str(info.value)


def test_parameters_cannot_be_attribute_names_or_markup_in_attributes() -> None:
    for body in [
        lambda name: h.Div({name: "x"}),
        lambda name: h.Div({name: "x"}, {"id": "y"}),
        lambda name: h.Div({"data": {name: "x"}}),
        lambda name: h.Div({"data": {name: "x"}}, {"id": "y"}),
    ]:
        with pytest.raises(TypeError, match="attribute names must be str"):
            baked(body)
    with pytest.raises(TypeError, match="tag names must be str"):
        baked(lambda name: h.Tag(name)())
    with pytest.raises(TypeError, match="markup containing @baked parameters"):
        baked(lambda x: h.Iframe({"srcdoc": h.P(x)}))
    with pytest.raises(TypeError, match="markup containing @baked parameters"):
        baked(lambda x: h.Div({"title": render(h.B(x))}))


def test_variadic_parameters_are_refused() -> None:
    with pytest.raises(TypeError, match=r"\*args"):
        baked(lambda *xs: h.P(xs))
    with pytest.raises(TypeError, match=r"\*\*kwargs"):
        baked(lambda **kw: h.P(kw))


def test_parameter_names_that_would_clash_with_generated_code_are_refused() -> None:
    with pytest.raises(TypeError, match="may not start with"):
        baked(lambda _st_x: h.P(_st_x))


def test_parameter_named_like_a_builtin_works() -> None:
    @baked
    def button(label: str, type: str = "button") -> Element:
        return h.Button({"type": type}, label)

    assert str(button("Go", type="submit")) == '<button type="submit">Go</button>'


def test_invalid_values_at_call_time_raise_like_the_builder() -> None:
    with pytest.raises(TypeError, match="attribute dicts must come before"):
        row({"id": "x"}, "1", "/")
    with pytest.raises(TypeError, match="unsupported value type"):
        row("n", "1", object())


def test_map_renders_once_per_item_like_calls() -> None:
    @baked
    def item(text: Any) -> Element:
        return h.Li({"title": text}, text)

    @baked
    def pair(key: str, value: Any = None) -> Element:
        return h.Div(h.Dt(key), h.Dd(value))

    values = ["a<", None, h.B("b"), ("t", "u")]
    assert item.map(values) == h.Fragment([item(v) for v in values])
    assert str(item.map(x for x in "xy")) == '<li title="x">x</li><li title="y">y</li>'
    assert pair.map([("k", 1), ("j", None)]) == h.Fragment(pair("k", 1), pair("j"))
    assert str(item.map([])) == ""
    assert str(h.Ul(item.map(["z"]))) == '<ul><li title="z">z</li></ul>'
    with pytest.raises(ValueError, match="not enough values to unpack"):
        pair.map([("only-one",)])
