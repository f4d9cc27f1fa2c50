from __future__ import annotations

from stario.telemetry import MemoryTracer


def test_keeps_ended_spans_in_end_order() -> None:
    tracer = MemoryTracer()
    a = tracer.start("a")
    b = tracer.start("b")
    assert tracer.spans == []  # open spans are not recorded yet
    b.end()
    a.end()
    assert tracer.spans == [b, a]


def test_find_and_clear() -> None:
    tracer = MemoryTracer()
    for name in ("GET", "POST", "GET"):
        tracer.start(name).end()
    assert [s.name for s in tracer.find("GET")] == ["GET", "GET"]
    assert tracer.find("PUT") == []
    tracer.clear()
    assert tracer.spans == []
    tracer.close()
