from __future__ import annotations

import pytest

from stario.telemetry import (
    BaseTracer,
    JsonTracer,
    MemoryTracer,
    NoopTracer,
    Span,
    Tracer,
    check_tracer,
    span_to_dict,
)

SCHEMA = [
    "trace_id",
    "span_id",
    "name",
    "start_ns",
    "end_ns",
    "duration_ns",
    "status",
    "error",
    "attributes",
    "events",
    "links",
]


class FailingTracer(BaseTracer):
    def export(self, span: Span) -> None:
        raise OSError("sink is gone")


class RecordingTracer(BaseTracer):
    def __init__(self) -> None:
        self.started: list[str] = []
        self.exported: list[str] = []

    def on_start(self, span: Span) -> None:
        self.started.append(span.name)

    def export(self, span: Span) -> None:
        self.exported.append(span.name)


def test_export_error_is_counted_not_raised() -> None:
    tracer = FailingTracer()
    with tracer.start("a"):
        pass
    tracer.start("b").end()
    assert tracer.export_errors == 2


def test_on_start_sees_roots_and_steps() -> None:
    tracer = RecordingTracer()
    with tracer.start("root") as root, root.step("child"):
        pass
    assert tracer.started == ["root", "child"]
    assert tracer.exported == ["child", "root"]


def test_base_tracer_requires_export() -> None:
    class Incomplete(BaseTracer):
        pass

    with pytest.raises(TypeError, match="export"):
        Incomplete()  # type: ignore[abstract]


def test_builtin_tracers_satisfy_protocol() -> None:
    json_tracer = JsonTracer(stream=_NullSink())
    try:
        for tracer in (NoopTracer(), MemoryTracer(), json_tracer, RecordingTracer()):
            assert isinstance(tracer, Tracer)
            assert check_tracer(tracer) is tracer
    finally:
        json_tracer.close()


class _NullSink:
    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass


class HasStartOnly:
    def start(self) -> None:
        pass


class CloseNotCallable:
    close = 3

    def start(self) -> None:
        pass


def test_check_tracer_names_missing_start() -> None:
    with pytest.raises(TypeError) as info:
        check_tracer(object())
    assert str(info.value) == "tracer object of type object has no callable 'start' and 'close'"


def test_check_tracer_names_missing_close() -> None:
    with pytest.raises(TypeError) as info:
        check_tracer(HasStartOnly())
    assert str(info.value) == "tracer object of type HasStartOnly has no callable 'close'"


def test_check_tracer_rejects_non_callable_attribute() -> None:
    with pytest.raises(TypeError, match=r"CloseNotCallable has no callable 'close'$"):
        check_tracer(CloseNotCallable())


def test_check_tracer_rejects_a_class() -> None:
    with pytest.raises(TypeError, match="class MemoryTracer, not an instance"):
        check_tracer(MemoryTracer)


def test_span_to_dict_root_schema() -> None:
    span = Span(None, "GET", start_ns=1_000, attributes={"request.path": "/"})
    span.end(3_500)
    record = span_to_dict(span)
    assert list(record) == SCHEMA
    assert record["duration_ns"] == 2_500
    assert record["status"] == "ok"
    assert record["error"] is None
    assert record["attributes"] == {"request.path": "/"}
    assert record["events"] == []
    assert record["links"] == []


def test_span_to_dict_child_with_events_and_links() -> None:
    other = Span(None, "other")
    root = Span(None, "root")
    child = root.step("child")
    child.event("e", {"n": 1}, body="text")
    child.link(other, {"why": "x"})
    child.fail("broken")
    child.end()
    record = span_to_dict(child)
    assert list(record) == [*SCHEMA[:2], "parent_id", *SCHEMA[2:]]
    assert record["parent_id"] == root.span_id
    assert record["status"] == "error"
    assert record["error"] == "broken"
    event = child.events[0]
    assert record["events"] == [
        {"time_ns": event.time_ns, "name": "e", "attributes": {"n": 1}, "body": "text"}
    ]
    assert record["links"] == [
        {"trace_id": other.trace_id, "span_id": other.span_id, "attributes": {"why": "x"}}
    ]
