from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

import pytest

from stario.telemetry import NOOP_SPAN, MemoryTracer, Span, SpanEvent, SpanLink

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


class Boom(Exception):
    pass


def test_root_span_has_fresh_ids_and_defaults() -> None:
    span = Span(None, "root")
    assert HEX32.match(span.trace_id)
    assert HEX16.match(span.span_id)
    assert span.trace_id != "0" * 32
    assert span.span_id != "0" * 16
    assert span.parent_id is None
    assert span.status == "ok"
    assert span.error is None
    assert span.end_ns is None
    assert span.duration_ns is None
    assert span.recording
    assert not span.ended


def test_ids_are_unique() -> None:
    spans = [Span(None, "s") for _ in range(1000)]
    assert len({s.trace_id for s in spans}) == 1000
    assert len({s.span_id for s in spans}) == 1000
    # the random halves too, across several refills of the pool they are cut from
    assert len({s.trace_id[16:] for s in spans}) == 1000


def test_span_ids_count_up_and_a_trace_id_starts_with_its_root_span_id() -> None:
    # 600 in a row: the counting crosses at least two changes of the 14 leading digits
    spans = [Span(None, "s") for _ in range(600)]
    numbers = [int(s.span_id, 16) for s in spans]
    assert numbers == list(range(numbers[0], numbers[0] + 600))
    for span in spans:
        assert HEX16.match(span.span_id)
        assert span.trace_id[:16] == span.span_id
        child = span.step("child")
        assert int(child.span_id, 16) > int(span.span_id, 16)
    # the right half is random: 64 bits that differ between traces
    assert len({s.trace_id[16:] for s in spans}) == 600


_FORK_SCRIPT = """
import os
from stario.telemetry.span import Span

Span(None, "before")  # the parent has used its sequence
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:  # the child: report its next span id and leave at once
    os.write(write_end, Span(None, "child").trace_id.encode())
    os._exit(0)
os.close(write_end)
os.waitpid(pid, 0)
with os.fdopen(read_end, "rb") as pipe:
    child_id = pipe.read().decode()
parent_ids = [Span(None, "parent").trace_id for _ in range(1000)]
print(child_id, " ".join(parent_ids))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_does_not_repeat_the_parents_ids() -> None:
    # In a fresh interpreter: fork() in this multi-threaded test process could deadlock.
    out = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    child_trace, parent_traces = out[0], out[1:]
    assert HEX32.match(child_trace)
    assert len(set(parent_traces)) == 1000
    # neither the serial half (the span id) nor the random half repeats the parent's
    assert child_trace[:16] not in {trace[:16] for trace in parent_traces}
    assert child_trace[16:] not in {trace[16:] for trace in parent_traces}


def test_step_builds_a_tree_in_one_trace() -> None:
    tracer = MemoryTracer()
    root = tracer.start("root")
    child = root.step("child", {"k": 1})
    grandchild = child.step("grandchild")
    assert child.trace_id == root.trace_id == grandchild.trace_id
    assert child.parent_id == root.span_id
    assert grandchild.parent_id == child.span_id
    assert len({root.span_id, child.span_id, grandchild.span_id}) == 3
    assert child.attributes == {"k": 1}
    grandchild.end()
    child.end()
    root.end()
    assert [s.name for s in tracer.spans] == ["grandchild", "child", "root"]


def test_step_without_tracer_still_links_parent() -> None:
    root = Span(None, "root")
    child = root.step("child")
    assert child.trace_id == root.trace_id
    assert child.parent_id == root.span_id


def test_explicit_trace_id_and_start_time() -> None:
    span = Span(None, "s", trace_id="ab" * 16, parent_id="cd" * 8, start_ns=100)
    span.end(350)
    assert span.trace_id == "ab" * 16
    assert span.parent_id == "cd" * 8
    assert span.start_ns == 100
    assert span.end_ns == 350
    assert span.duration_ns == 250


def test_attr_and_attrs() -> None:
    span = Span(None, "s", attributes={"a": 1})
    span.attr("b", "two")
    span.attrs({"c": 3.5}, d=True)
    span.attrs(e=["x", "y"])
    assert span.attributes == {"a": 1, "b": "two", "c": 3.5, "d": True, "e": ["x", "y"]}


def test_constructor_copies_attributes() -> None:
    given = {"a": 1}
    span = Span(None, "s", attributes=given)
    span.attr("b", 2)
    assert given == {"a": 1}


def test_event_records_time_name_attributes_body() -> None:
    span = Span(None, "s")
    span.event("cache.miss", {"key": "u:1"}, body="details")
    span.event("plain")
    first, second = span.events
    assert first == SpanEvent(first.time_ns, "cache.miss", {"key": "u:1"}, "details")
    assert first.time_ns >= span.start_ns
    assert second.attributes == {}
    assert second.body is None


def _raise_boom() -> None:
    raise Boom("it broke")


def test_exception_event_has_type_message_and_traceback() -> None:
    span = Span(None, "s")
    try:
        _raise_boom()
    except Boom as exc:
        span.exception(exc)
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == f"{__name__}.Boom"
    assert event.attributes["exception.message"] == "it broke"
    assert event.body is not None
    assert "Traceback (most recent call last)" in event.body
    assert "_raise_boom" in event.body
    assert span.status == "ok"  # exception() alone does not fail the span


def test_builtin_exception_type_is_unqualified() -> None:
    span = Span(None, "s")
    span.exception(ValueError("bad"))
    assert span.events[0].attributes["exception.type"] == "ValueError"


def test_fail_sets_status_and_error() -> None:
    span = Span(None, "s")
    span.fail("upstream timed out")
    assert span.status == "error"
    assert span.error == "upstream timed out"


def test_link_records_other_span() -> None:
    a = Span(None, "a")
    b = Span(None, "b")
    b.link(a, {"reason": "retry"})
    assert b.links == [SpanLink(a.trace_id, a.span_id, {"reason": "retry"})]


def test_link_to_noop_span_is_ignored() -> None:
    span = Span(None, "s")
    span.link(NOOP_SPAN)
    assert span.links == []


def test_tracer_start_records_links_and_parent() -> None:
    tracer = MemoryTracer()
    startup = tracer.start("server.startup")
    startup.end()
    shutdown = tracer.start("server.shutdown", links=[startup], attributes={"x": 1})
    assert shutdown.trace_id != startup.trace_id
    assert shutdown.links[0].span_id == startup.span_id
    assert shutdown.attributes == {"x": 1}
    child = tracer.start("c", parent=shutdown)
    assert child.parent_id == shutdown.span_id
    assert child.trace_id == shutdown.trace_id


def test_noop_parent_gives_root_span() -> None:
    span = MemoryTracer().start("s", parent=NOOP_SPAN)
    assert span.parent_id is None
    assert span.trace_id != NOOP_SPAN.trace_id


def test_end_is_idempotent_and_exports_once() -> None:
    tracer = MemoryTracer()
    span = tracer.start("s")
    span.end()
    first_end = span.end_ns
    span.end()
    assert span.ended
    assert span.end_ns == first_end
    assert tracer.spans == [span]


def test_mutators_are_ignored_after_end() -> None:
    span = Span(None, "s")
    span.end()
    span.attr("a", 1)
    span.attrs(b=2)
    span.event("e")
    span.exception(ValueError("x"))
    span.fail("late")
    span.link(Span(None, "other"))
    assert span.attributes == {}
    assert span.events == []
    assert span.links == []
    assert span.status == "ok"


def test_context_manager_ends_span() -> None:
    tracer = MemoryTracer()
    with tracer.start("s") as span:
        span.attr("a", 1)
    assert span.ended
    assert span.status == "ok"
    assert tracer.spans == [span]


def test_context_manager_records_exception_and_reraises() -> None:
    tracer = MemoryTracer()
    with pytest.raises(ValueError, match="bad input"), tracer.start("s"):
        raise ValueError("bad input")
    (span,) = tracer.spans
    assert span.status == "error"
    assert span.error == "ValueError: bad input"
    assert span.events[0].name == "exception"
    assert "bad input" in (span.events[0].body or "")


def test_context_manager_empty_message() -> None:
    tracer = MemoryTracer()
    with pytest.raises(Boom), tracer.start("s"):
        raise Boom()
    assert tracer.spans[0].error == f"{__name__}.Boom"


@pytest.mark.parametrize("exc_type", [asyncio.CancelledError, GeneratorExit])
def test_context_manager_cancellation_is_not_a_failure(exc_type: type[BaseException]) -> None:
    tracer = MemoryTracer()
    with pytest.raises(exc_type), tracer.start("s"):
        raise exc_type()
    (span,) = tracer.spans
    assert span.status == "ok"
    assert span.events == []
    assert span.ended
