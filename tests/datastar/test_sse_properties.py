"""SSE framing properties: no value, however odd, adds a line, a field or an event."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stario.datastar import SSE

from .wire import body_writes, data_fields, parse, recording_writer

# Text with plenty of the characters that matter to an event stream.
_pieces = st.sampled_from(["\r", "\n", "\r\n", ":", " ", "data: ", "event: x", "\x00", "\ufeff"])
stream_text = st.lists(_pieces | st.text(st.characters(codec="utf-8"), max_size=5)).map("".join)
single_line = stream_text.filter(lambda s: not re.search(r"[\r\n\x00]", s))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | stream_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(stream_text, inner, max_size=3),
    max_leaves=10,
)


def one_event(call: str, *args: Any, **kwargs: Any) -> tuple[str, list[tuple[str, str]]]:
    w, sink = recording_writer()
    getattr(SSE(w), call)(*args, **kwargs)
    [text] = body_writes(sink)
    events = parse(text)
    assert len(events) == 1
    assert text.endswith("\n\n")
    assert not text.endswith("\n\n\n")
    return events[0].event, data_fields(events[0])


@given(content=stream_text, selector=single_line, event_id=single_line)
def test_patch_elements_round_trips(content: str, selector: str, event_id: str) -> None:
    w, sink = recording_writer()
    SSE(w).patch_elements(content, selector=selector, mode="inner", event_id=event_id)
    [text] = body_writes(sink)
    [event] = parse(text)
    assert event.event == "datastar-patch-elements"
    assert event.id == event_id
    fields = data_fields(event)
    expected = [("mode", "inner")]
    if selector:
        expected.insert(0, ("selector", selector))
    assert fields[: len(expected)] == expected
    elements = fields[len(expected) :]
    assert {key for key, _ in elements} <= {"elements"}
    # Datastar joins repeated keys with "\n": the content comes back, line ends normalised.
    assert "\n".join(value for _, value in elements) == re.sub(r"\r\n?", "\n", content)


@given(signals=st.dictionaries(stream_text, json_values, max_size=5), only=st.booleans())
def test_patch_signals_round_trips(signals: dict[str, Any], only: bool) -> None:
    kind, fields = one_event("patch_signals", signals, only_if_missing=only)
    assert kind == "datastar-patch-signals"
    if only:
        assert fields.pop(0) == ("onlyIfMissing", "true")
    assert [key for key, _ in fields] == ["signals"]
    assert json.loads(fields[0][1]) == signals


@given(code=stream_text)
def test_execute_script_is_one_event_with_one_script(code: str) -> None:
    kind, fields = one_event("execute_script", code)
    assert kind == "datastar-patch-elements"
    assert fields[:2] == [("selector", "body"), ("mode", "append")]
    markup = "\n".join(value for key, value in fields[2:] if key == "elements")
    assert markup.startswith('<script data-effect="el.remove()">')
    assert re.findall(r"</script", markup, re.IGNORECASE) == ["</script"]
    assert markup.endswith("</script>")


@given(selector=single_line.filter(bool))
def test_remove_is_one_event(selector: str) -> None:
    kind, fields = one_event("remove", selector)
    assert kind == "datastar-patch-elements"
    assert fields == [("selector", selector), ("mode", "remove")]
