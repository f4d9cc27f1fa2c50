"""data.*: attribute names, modifiers and values, and signal names surviving Datastar's casing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.datastar import at, data
from stario.html import Button, Div, Input, render


def datastar_name(attribute: str, *, signal: bool) -> str:
    """What Datastar 1.0 makes of an attribute key, per its documented casing rules.

    The browser lower-cases attribute names; the key runs from the first ':' to the
    first '__'; ``__case.<x>`` modifiers convert it; otherwise signal keys are
    camel-cased (``-x`` → ``X``) and other keys are used as they are.
    """
    name = attribute.lower()
    key = name.split(":", 1)[1].split("__")[0]
    mods = [m.split(".") for m in name.split("__")[1:]]
    cases = next((tags[1:] for tags in mods if tags[0] == "case"), ["camel" if signal else ""])
    for case in cases:
        if case == "camel":
            key = re.sub(r"-[a-z]", lambda m: m.group()[1].upper(), key)
        elif case == "snake":
            key = key.replace("-", "_")
    return key


def test_the_documented_example() -> None:
    div = Div(data.signals({"count": 0}), data.on("click", at.post("/inc"), debounce="500ms"), "x")
    assert render(div) == (
        '<div data-signals="{count: 0}" '
        'data-on:click__debounce.500ms="@post(&#39;/inc&#39;)">x</div>'
    )


# --- signals ----------------------------------------------------------------------------


def test_signals_mapping_is_a_js_object_with_exact_keys() -> None:
    attrs = data.signals({"user_name": "Ada", "userName": 1, "form": {"e-mail": None}})
    assert attrs == {"data-signals": "{user_name: 'Ada', userName: 1, form: {'e-mail': null}}"}
    assert data.signals({"a": [1, 2.5, True]}, ifmissing=True) == {
        "data-signals__ifmissing": "{a: [1, 2.5, true]}"
    }
    assert data.signals("{total: $a + $b}") == {"data-signals": "{total: $a + $b}"}


def test_signal_values_cannot_leak_into_the_expression() -> None:
    [value] = data.signals({"note": "'); alert(1); ('$x @get('/"}).values()
    assert value == "{note: '\\x27); alert(1); (\\x27\\x24x \\x40get(\\x27/'}"


@pytest.mark.parametrize(
    ("name", "attribute"),
    [
        ("count", "data-signals:count"),
        ("user_name", "data-signals:user_name"),
        ("userName", "data-signals:user-name"),
        ("form.firstName", "data-signals:form.first-name"),
        ("_private", "data-signals:_private"),
        ("HTTPCode", "data-signals:-h-t-t-p-code"),
    ],
)
def test_signal_keys_survive_datastar_casing(name: str, attribute: str) -> None:
    attrs = data.signal(name, "0")
    assert attrs == {attribute: "0"}
    assert datastar_name(attribute, signal=True) == name


python_paths = st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z0-9_]{1,8}){0,2}", fullmatch=True
)


@given(python_paths.filter(lambda n: "__" not in n and not n.endswith("_")))
def test_any_keyable_signal_name_survives(name: str) -> None:
    for attrs in (data.signal(name, "1", ifmissing=True), data.computed(name, "$a")):
        [attribute] = attrs
        assert datastar_name(attribute, signal=True) == name


@given(python_paths)
def test_value_forms_keep_any_signal_name(name: str) -> None:
    assert data.bind(name) == {"data-bind": name}
    assert data.indicator(name) == {"data-indicator": name}
    assert data.ref(name) == {"data-ref": name}
    top = name.split(".")[0]
    assert data.computed({top: "$a"}) == {"data-computed": f"{{{top}: () => ($a)}}"}


@pytest.mark.parametrize("name", ["a__b", "trailing_", "", "1st", "a-b", "a b", "a.", "x'y"])
def test_unkeyable_signal_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="signal name"):
        data.signal(name, "1")


@pytest.mark.parametrize("name", ["", "a b", "a-b", "1x", 'x"', "a..b"])
def test_invalid_value_form_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid signal name"):
        data.bind(name)


def test_computed() -> None:
    assert data.computed("total", "$price * $qty") == {"data-computed:total": "$price * $qty"}
    assert data.computed({"total_price": "$p * $q", "b": "$x"}) == {
        "data-computed": "{total_price: () => ($p * $q), b: () => ($x)}"
    }
    with pytest.raises(ValueError, match="nested signal"):
        data.computed({"form.total": "$a"})


def test_bind_modifiers() -> None:
    assert data.bind("is_checked", prop="checked", event="change") == {
        "data-bind__prop.checked__event.change": "is_checked"
    }
    assert data.bind("q", event=["input", "keyup"]) == {"data-bind__event.input.keyup": "q"}
    for bad in ({"prop": "valueAsNumber"}, {"event": "keyUp"}, {"event": ["a.b"]}):
        with pytest.raises(ValueError, match="for a modifier"):
            data.bind("q", **bad)


def test_json_signals() -> None:
    assert data.json_signals() == {"data-json-signals": True}
    assert data.json_signals(include="user", exclude=re.compile("pass", re.I), terse=True) == {
        "data-json-signals__terse": "{include: /user/, exclude: /pass/i}"
    }


# --- DOM --------------------------------------------------------------------------------


def test_simple_expressions() -> None:
    assert data.text("$name") == {"data-text": "$name"}
    assert data.show("$open") == {"data-show": "$open"}
    assert data.effect("$b = $a * 2") == {"data-effect": "$b = $a * 2"}


@pytest.mark.parametrize("method", ["attr", "class_", "style"])
def test_keyed_and_mapping_forms(method: str) -> None:
    plugin = method.rstrip("_")
    build = getattr(data, method)
    assert build("aria-hidden", "$x") == {f"data-{plugin}:aria-hidden": "$x"}
    assert build("viewBox", "$v") == {f"data-{plugin}:view-box__case.camel": "$v"}
    assert build({"hover:bg-red": "$a", "b": "$b"}) == {
        f"data-{plugin}": "{'hover:bg-red': $a, b: $b}"
    }
    with pytest.raises(ValueError, match="mapping form"):
        build("hover:bg-red", "$a")
    with pytest.raises(TypeError, match="needs an expression"):
        build("a")
    with pytest.raises(TypeError, match="takes no separate expression"):
        build({"a": "$a"}, "$b")


def test_bare_attributes() -> None:
    assert data.ignore() == {"data-ignore": True}
    assert data.ignore(self_only=True) == {"data-ignore__self": True}
    assert data.ignore_morph() == {"data-ignore-morph": True}
    assert render(Div(data.ignore_morph(), data.json_signals())) == (
        "<div data-ignore-morph data-json-signals></div>"
    )


def test_preserve_attr() -> None:
    assert data.preserve_attr("open", "class") == {"data-preserve-attr": "open class"}
    with pytest.raises(ValueError, match="invalid attribute name"):
        data.preserve_attr("open class")
    with pytest.raises(TypeError):
        data.preserve_attr()


# --- events -----------------------------------------------------------------------------


def test_on_flags_in_a_fixed_order() -> None:
    flags = dict.fromkeys(
        ("once", "passive", "capture", "window", "document", "outside", "prevent", "stop"), True
    )
    assert data.on("keydown", "go()", **flags, view_transition=True) == {
        "data-on:keydown__once__passive__capture__window__document__outside__prevent__stop"
        "__viewtransition": "go()"
    }


@pytest.mark.parametrize(
    ("options", "modifiers"),
    [
        ({"delay": 250}, "__delay.250ms"),
        ({"delay": "1s"}, "__delay.1s"),
        ({"debounce": "500ms"}, "__debounce.500ms"),
        ({"debounce": 500, "debounce_leading": True}, "__debounce.500ms.leading"),
        ({"debounce": 500, "debounce_trailing": False}, "__debounce.500ms.notrailing"),
        ({"debounce": 5, "debounce_leading": False, "debounce_trailing": True}, "__debounce.5ms"),
        ({"throttle": "2s"}, "__throttle.2s"),
        ({"throttle": 100, "throttle_leading": False}, "__throttle.100ms.noleading"),
        ({"throttle": 100, "throttle_trailing": True}, "__throttle.100ms.trailing"),
        ({"delay": 1, "debounce": 2, "throttle": 3}, "__delay.1ms__debounce.2ms__throttle.3ms"),
    ],
)
def test_timing_modifiers(options: dict[str, Any], modifiers: str) -> None:
    assert data.on("input", "x", **options) == {f"data-on:input{modifiers}": "x"}
    assert data.on_signal_patch("x", **options) == {f"data-on-signal-patch{modifiers}": "x"}


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"debounce": "fast"}, "invalid duration"),
        ({"debounce": "1.5s"}, "invalid duration"),
        ({"delay": -1}, "cannot be negative"),
        ({"debounce_leading": True}, "need debounce="),
        ({"throttle_trailing": True}, "need throttle="),
    ],
)
def test_bad_timing_is_refused(options: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        data.on("click", "x", **options)


def test_event_names_keep_their_case() -> None:
    assert data.on("widgetLoaded", "x") == {"data-on:widget-loaded__case.camel": "x"}
    assert data.on("datastar-fetch", "x") == {"data-on:datastar-fetch": "x"}
    [attribute] = data.on("MyEvent", "x", once=True)
    assert datastar_name(attribute, signal=False) == "MyEvent"
    for bad in ("my-Event", "a b", "x__y", "x_"):
        with pytest.raises(ValueError, match="event name"):
            data.on(bad, "x")


def test_on_intersect() -> None:
    assert data.on_intersect("$seen = true") == {"data-on-intersect": "$seen = true"}
    assert data.on_intersect("x", once=True, exit=True, full=True, view_transition=True) == {
        "data-on-intersect__once__exit__full__viewtransition": "x"
    }
    assert data.on_intersect("x", half=True, throttle=50) == {
        "data-on-intersect__half__throttle.50ms": "x"
    }
    assert data.on_intersect("x", threshold=25) == {"data-on-intersect__threshold.25": "x"}
    with pytest.raises(ValueError, match="only one of"):
        data.on_intersect("x", half=True, full=True)
    with pytest.raises(ValueError, match="percentage"):
        data.on_intersect("x", threshold=0)


def test_on_interval_and_init() -> None:
    assert data.on_interval("$n++") == {"data-on-interval": "$n++"}
    assert data.on_interval("$n++", duration=500) == {"data-on-interval__duration.500ms": "$n++"}
    assert data.on_interval("x", leading=True, view_transition=True) == {
        "data-on-interval__duration.1s.leading__viewtransition": "x"
    }
    assert data.init(at.get("/feed")) == {"data-init": "@get('/feed')"}
    assert data.init("x", delay="2s", view_transition=True) == {
        "data-init__delay.2s__viewtransition": "x"
    }


def test_on_signal_patch_filter() -> None:
    assert data.on_signal_patch_filter(include="^counter$") == {
        "data-on-signal-patch-filter": "{include: /^counter$/}"
    }
    with pytest.raises(TypeError, match="include= or exclude="):
        data.on_signal_patch_filter()


def test_a_form_renders_with_its_attributes() -> None:
    form = Div(
        data.signals({"query": ""}),
        Input(data.bind("query"), data.on("input", at.get("/search"), debounce=300)),
        Button(data.on("click", at.post("/go", content_type="form")), data.indicator("busy")),
    )
    assert render(form) == (
        '<div data-signals="{query: &#39;&#39;}">'
        '<input data-bind="query" data-on:input__debounce.300ms="@get(&#39;/search&#39;)">'
        '<button data-on:click="@post(&#39;/go&#39;, {contentType: &#39;form&#39;})" '
        'data-indicator="busy"></button></div>'
    )
