"""Attribute value rules, merging, name validation."""

from __future__ import annotations

from typing import Any

import pytest

from stario import html as h
from stario.html import SafeString


def attrs(mapping: dict[str, Any], *more: dict[str, Any]) -> str:
    """The attribute part of a rendered <div>."""
    return str(h.Div(mapping, *more))[len("<div") : -len("></div>")]


def test_string_values_escape_all_five_characters() -> None:
    assert attrs({"title": "a&b<c>d\"e'f"}) == ' title="a&amp;b&lt;c&gt;d&quot;e&#39;f"'


def test_safe_string_values_are_verbatim() -> None:
    assert attrs({"title": SafeString("&amp;")}) == ' title="&amp;"'


def test_booleans_none_and_numbers() -> None:
    # True and None write the bare name; False leaves the attribute out.
    assert attrs({"hidden": True, "a": None, "b": False, "n": 3, "f": 1.5}) == (
        ' hidden a n="3" f="1.5"'
    )
    assert str(h.Input({"disabled": None, "checked": False})) == "<input disabled>"
    assert str(h.Input({"type": "checkbox"}, {"required": None})) == (
        '<input type="checkbox" required>'
    )


def test_zero_is_rendered_not_dropped() -> None:
    assert attrs({"tabindex": 0, "value": 0.0}) == ' tabindex="0" value="0.0"'


def test_lists_are_space_joined_tokens() -> None:
    assert attrs({"class": ["a", None, "b", False, ("c", ["d"])], "x": []}) == (
        ' class="a b c d" x=""'
    )
    assert attrs({"class": ["<x>", 1]}) == ' class="&lt;x&gt; 1"'
    with pytest.raises(TypeError, match="not a token"):
        attrs({"class": ["a", True]})


def test_style_dicts() -> None:
    style = {"background-color": "red", "margin": 0, "font_size": "2px", "x": None, "q": '"'}
    assert (
        attrs({"style": style}) == ' style="background-color:red;margin:0;font_size:2px;q:&quot;"'
    )
    assert attrs({"style": "color: blue"}) == ' style="color: blue"'
    with pytest.raises(TypeError):
        attrs({"style": {"color": True}})


def test_nested_data_and_aria_dicts() -> None:
    out = attrs({"data": {"user-id": 5, "on:click": "@post('/x')", "show": True, "no": False}})
    assert out == ' data-user-id="5" data-on:click="@post(&#39;/x&#39;)" data-show'
    aria = attrs({"aria": {"hidden": True, "expanded": False, "label": "Close", "x": None}})
    assert aria == ' aria-hidden="true" aria-expanded="false" aria-label="Close" aria-x'
    assert attrs({"data": {"ignore": None, "off": False}}) == " data-ignore"
    assert attrs({"aria-busy": False}) == ' aria-busy="false"'


def test_data_with_a_string_is_a_plain_attribute() -> None:
    assert str(h.Object({"data": "movie.mp4"})) == '<object data="movie.mp4"></object>'


def test_dict_values_are_compact_json() -> None:
    out = attrs({"data-signals": {"count": 0, "name": "O'Neil <3", "list": [1, 2]}})
    assert out == (
        ' data-signals="{&quot;count&quot;:0,&quot;name&quot;:&quot;O&#39;Neil &lt;3&quot;,'
        '&quot;list&quot;:[1,2]}"'
    )
    assert (
        attrs({"data": {"signals": {"a": "é"}}}) == ' data-signals="{&quot;a&quot;:&quot;é&quot;}"'
    )
    with pytest.raises(TypeError, match="JSON"):
        attrs({"data-x": {"a": object()}})


def test_datastar_style_names_are_allowed() -> None:
    out = attrs({"data-on:click__debounce.500ms": "@get('/x')", "@click": "go", ":class": "c"})
    assert out == ' data-on:click__debounce.500ms="@get(&#39;/x&#39;)" @click="go" :class="c"'


@pytest.mark.parametrize(
    "name", ["", "a b", "a\tb", 'a"', "a'", "a>", "a/", "a=", "<a", "a\x00", "a\x7f", "a\n"]
)
def test_invalid_attribute_names_are_value_errors(name: str) -> None:
    with pytest.raises(ValueError, match="invalid attribute name"):
        h.Div({name: "x"})
    with pytest.raises(ValueError, match="invalid attribute name"):
        h.Div({name: None})


def test_non_string_attribute_names_are_type_errors() -> None:
    with pytest.raises(TypeError, match="attribute names must be str"):
        h.Div({1: "x"})


def test_name_validation_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    from stario.html import attrs as attrs_module

    h.Div({"data-cached-name": "1"})

    class Explodes:
        def search(self, name: str) -> None:
            raise AssertionError(f"{name!r} validated twice")

    monkeypatch.setattr(attrs_module, "_BAD_NAME", Explodes())
    assert str(h.Div({"data-cached-name": "2"})) == '<div data-cached-name="2"></div>'


def test_merging_several_dicts() -> None:
    out = attrs({"id": "a", "class": "x"}, {"id": "b", "class": ["y", None]}, {"class": "z"})
    assert out == ' id="b" class="x y z"'
    assert attrs({"data": {"a": 1}}, {"data": {"b": 2}, "hidden": True}) == (
        ' data-a="1" data-b="2" hidden'
    )
    assert attrs({"class": None}, {"class": "only"}) == ' class="only"'


def test_element_values_are_escaped_markup() -> None:
    out = str(h.Iframe({"srcdoc": h.P({"class": "x"}, "a&b")}))
    assert out == '<iframe srcdoc="&lt;p class=&quot;x&quot;&gt;a&amp;amp;b&lt;/p&gt;"></iframe>'


def test_unsupported_values_are_type_errors() -> None:
    with pytest.raises(TypeError, match="unsupported value type"):
        h.Div({"x": object()})
