"""SSE: the exact Datastar 1.0 wire format of every event and option."""

from __future__ import annotations

from typing import Any

import pytest

from stario.datastar import SSE
from stario.errors import StarioError
from stario.html import Div, SafeString, Span

from .wire import body_writes, head_and_body, recording_writer


def sent(call: Any, *args: Any, **kwargs: Any) -> str:
    """The bytes one SSE method call writes, as text."""
    w, sink = recording_writer()
    sse = SSE(w)
    getattr(sse, call)(*args, **kwargs)
    writes = body_writes(sink)
    assert len(writes) == 1, "each event must be one write"
    return writes[0]


# --- datastar-patch-elements ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, 'event: datastar-patch-elements\ndata: elements <div id="a">1</div>\n\n'),
        (
            {"selector": "#feed", "mode": "append"},
            "event: datastar-patch-elements\ndata: selector #feed\ndata: mode append\n"
            'data: elements <div id="a">1</div>\n\n',
        ),
        (
            {"mode": "outer", "namespace": "html", "use_view_transition": False},
            'event: datastar-patch-elements\ndata: elements <div id="a">1</div>\n\n',
        ),
        (
            {"namespace": "svg"},
            "event: datastar-patch-elements\ndata: namespace svg\n"
            'data: elements <div id="a">1</div>\n\n',
        ),
        (
            {"namespace": "mathml", "use_view_transition": True},
            "event: datastar-patch-elements\ndata: useViewTransition true\n"
            'data: namespace mathml\ndata: elements <div id="a">1</div>\n\n',
        ),
        (
            {"use_view_transition": True, "view_transition_selector": "#main"},
            "event: datastar-patch-elements\ndata: useViewTransition true\n"
            'data: viewTransitionSelector #main\ndata: elements <div id="a">1</div>\n\n',
        ),
        (
            {"view_transition_selector": "#main"},  # only meaningful with a transition
            'event: datastar-patch-elements\ndata: elements <div id="a">1</div>\n\n',
        ),
        (
            {"event_id": "42", "retry": 2500},
            "event: datastar-patch-elements\nid: 42\nretry: 2500\n"
            'data: elements <div id="a">1</div>\n\n',
        ),
        (
            {"retry": 1000},  # Datastar's default is never written
            'event: datastar-patch-elements\ndata: elements <div id="a">1</div>\n\n',
        ),
        (
            {"retry": 0, "event_id": ""},
            "event: datastar-patch-elements\nid: \nretry: 0\n"
            'data: elements <div id="a">1</div>\n\n',
        ),
    ],
)
def test_patch_elements_options(kwargs: dict[str, Any], expected: str) -> None:
    assert sent("patch_elements", '<div id="a">1</div>', **kwargs) == expected


@pytest.mark.parametrize("mode", ["inner", "replace", "prepend", "append", "before", "after"])
def test_every_mode_is_written(mode: str) -> None:
    assert sent("patch_elements", "<p>x</p>", selector="#t", mode=mode) == (
        f"event: datastar-patch-elements\ndata: selector #t\ndata: mode {mode}\n"
        "data: elements <p>x</p>\n\n"
    )


def test_multiline_content_repeats_the_key_for_every_line() -> None:
    content = '<div id="feed">\n    <span>1</span>\r\n\r\n</div>\r'
    assert sent("patch_elements", content) == (
        "event: datastar-patch-elements\n"
        'data: elements <div id="feed">\n'
        "data: elements     <span>1</span>\n"
        "data: elements \n"
        "data: elements </div>\n"
        "data: elements \n\n"
    )


def test_html_nodes_and_safe_strings_are_rendered() -> None:
    node = Div({"id": "a"}, Span("<b>"))
    assert sent("patch_elements", node) == (
        "event: datastar-patch-elements\n"
        'data: elements <div id="a"><span>&lt;b&gt;</span></div>\n\n'
    )
    assert "data: elements <i>ok</i>\n" in sent("patch_elements", SafeString("<i>ok</i>"))


def test_remove() -> None:
    assert sent("remove", "#toast, .flash") == (
        "event: datastar-patch-elements\ndata: selector #toast, .flash\ndata: mode remove\n\n"
    )
    assert sent("remove", "#t", event_id="9", retry=3000, use_view_transition=True) == (
        "event: datastar-patch-elements\nid: 9\nretry: 3000\ndata: selector #t\n"
        "data: mode remove\ndata: useViewTransition true\n\n"
    )


# --- datastar-patch-signals -------------------------------------------------------------


def test_patch_signals_compact_json_keeps_unicode() -> None:
    signals = {"count": 1, "user_name": "Zoë", "nested": {"ok": True, "gone": None}}
    assert sent("patch_signals", signals) == (
        "event: datastar-patch-signals\n"
        'data: signals {"count":1,"user_name":"Zoë","nested":{"ok":true,"gone":null}}\n\n'
    )


def test_patch_signals_options() -> None:
    assert sent("patch_signals", {"a": 1}, only_if_missing=False) == (
        'event: datastar-patch-signals\ndata: signals {"a":1}\n\n'
    )
    assert sent("patch_signals", {"a": 1}, only_if_missing=True, event_id="e1", retry=50) == (
        "event: datastar-patch-signals\nid: e1\nretry: 50\n"
        'data: onlyIfMissing true\ndata: signals {"a":1}\n\n'
    )


def test_pre_encoded_signals_are_split_per_line() -> None:
    assert sent("patch_signals", '{\n  "a": 1,\r\n  "b": "x\\ny"\n}') == (
        "event: datastar-patch-signals\n"
        "data: signals {\n"
        'data: signals   "a": 1,\n'
        'data: signals   "b": "x\\ny"\n'
        "data: signals }\n\n"
    )


def test_string_values_with_line_breaks_stay_on_one_line() -> None:
    assert sent("patch_signals", {"text": "a\r\nb"}) == (
        'event: datastar-patch-signals\ndata: signals {"text":"a\\r\\nb"}\n\n'
    )


# --- scripts ----------------------------------------------------------------------------


def test_execute_script_appends_a_self_removing_script_to_body() -> None:
    assert sent("execute_script", "console.log('hi')") == (
        "event: datastar-patch-elements\ndata: selector body\ndata: mode append\n"
        "data: elements <script data-effect=\"el.remove()\">console.log('hi')</script>\n\n"
    )


def test_execute_script_options() -> None:
    text = sent(
        "execute_script",
        "a()\nb()",
        auto_remove=False,
        attributes={"type": "module", "nonce": 'x"<y', "defer": True, "async": False},
        event_id="s",
        retry=10,
    )
    assert text == (
        "event: datastar-patch-elements\nid: s\nretry: 10\n"
        "data: selector body\ndata: mode append\n"
        'data: elements <script type="module" nonce="x&quot;&lt;y" defer>a()\n'
        "data: elements b()</script>\n\n"
    )


def test_script_code_cannot_close_the_element() -> None:
    text = sent("execute_script", "x = '</SCRIPT><img src=x>'; y = '<!--'")
    assert "x = '<\\/SCRIPT><img src=x>'; y = '<\\!--'</script>" in text
    assert text.count("</script>") == 1


def test_navigate_writes_a_json_encoded_location() -> None:
    assert sent("navigate", "/done?a=1&b=</script>") == (
        "event: datastar-patch-elements\ndata: selector body\ndata: mode append\n"
        'data: elements <script data-effect="el.remove()">window.location.href = '
        '"/done?a=1\\u0026b=\\u003c/script\\u003e";</script>\n\n'
    )


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/", "/a\nb", "\\\\x"])
def test_navigate_refuses_unsafe_targets(url: str) -> None:
    w, _ = recording_writer()
    with pytest.raises(StarioError, match="unsafe redirect target"):
        SSE(w).navigate(url)


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "morph"}, "unknown patch mode 'morph'"),
        ({"namespace": "xml"}, "unknown namespace 'xml'"),
        ({"selector": "#a\ndata: mode remove"}, "selector must be a single line"),
        ({"selector": "#a\r"}, "selector must be a single line"),
        ({"event_id": "1\nevent: x"}, "event_id must be a single line"),
        ({"event_id": "1\r"}, "event_id must be a single line"),
        (
            {"use_view_transition": True, "view_transition_selector": "a\nb"},
            "view_transition_selector must be a single line",
        ),
        ({"retry": -1}, "retry must be a whole number"),
        ({"retry": 1.5}, "retry must be a whole number"),
        ({"retry": True}, "retry must be a whole number"),
    ],
)
def test_bad_options_raise_and_write_nothing(kwargs: dict[str, Any], message: str) -> None:
    w, sink = recording_writer()
    sse = SSE(w)
    with pytest.raises(ValueError, match=message):
        sse.patch_elements("<p id='a'></p>", **kwargs)
    assert body_writes(sink) == []


def test_remove_needs_a_selector() -> None:
    w, _ = recording_writer()
    with pytest.raises(ValueError, match="needs a CSS selector"):
        SSE(w).remove("")


def test_bad_content_and_signals_types() -> None:
    w, _ = recording_writer()
    sse = SSE(w)
    with pytest.raises(TypeError, match="expected markup"):
        sse.patch_elements(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="signals must be a mapping"):
        sse.patch_signals([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid attribute name"):
        sse.execute_script("x", attributes={"on load": "y"})


# --- the response -----------------------------------------------------------------------


def test_head_is_sent_at_once_with_the_stream_headers() -> None:
    w, sink = recording_writer()
    SSE(w)
    head, body = head_and_body(sink)
    lines = head.split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert "content-type: text/event-stream" in lines
    assert "cache-control: no-cache" in lines
    assert "x-accel-buffering: no" in lines
    assert body == ""


def test_sse_on_a_started_response_is_refused() -> None:
    w, _ = recording_writer()
    w.write_headers()
    with pytest.raises(StarioError, match="has not started"):
        SSE(w)


async def test_drain_waits_on_the_transport() -> None:
    w, sink = recording_writer()
    sse = SSE(w)
    await sse.drain()
    assert sink.drains == 1
    assert sse.writer is w
