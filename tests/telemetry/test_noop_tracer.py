from __future__ import annotations

from stario.telemetry import NOOP_SPAN, MemoryTracer, NoopSpan, NoopTracer, Span


def test_start_returns_the_shared_noop_span() -> None:
    tracer = NoopTracer()
    other = Span(None, "x")
    assert tracer.start("a") is NOOP_SPAN
    assert tracer.start("b", parent=other, attributes={"k": 1}, links=[other]) is NOOP_SPAN
    tracer.close()
    tracer.close()


def test_noop_span_step_returns_itself() -> None:
    assert NOOP_SPAN.step("child") is NOOP_SPAN
    assert NOOP_SPAN.step("child", {"k": 1}).step("grandchild") is NOOP_SPAN


def test_noop_span_records_nothing() -> None:
    span = NOOP_SPAN
    span.attr("a", 1)
    span.attrs({"b": 2}, c=3)
    span.event("e", {"x": 1}, body="b")
    span.exception(ValueError("x"))
    span.fail("nope")
    span.link(Span(None, "other"))
    span.end()
    assert isinstance(span, NoopSpan)
    assert not span.recording
    assert not span.ended
    assert span.attributes == {}
    assert span.events == []
    assert span.links == []
    assert span.status == "ok"
    assert span.error is None


def test_noop_span_context_manager_does_not_swallow() -> None:
    try:
        with NOOP_SPAN as span:
            assert span is NOOP_SPAN
            raise KeyError("k")
    except KeyError:
        pass
    else:
        raise AssertionError("exception was swallowed")
    assert NOOP_SPAN.events == []
    assert NOOP_SPAN.status == "ok"


def test_linking_to_noop_via_tracer_start_is_ignored() -> None:
    span = MemoryTracer().start("s", links=[NOOP_SPAN])
    assert span.links == []
