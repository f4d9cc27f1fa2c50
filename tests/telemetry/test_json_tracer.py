from __future__ import annotations

import io
import json
import math
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stario.telemetry import JsonTracer, Span
from stario.telemetry.json import span_line, to_json
from stario.telemetry.tracer import span_to_dict

SCHEMA = {
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
}
WAIT = 10.0  # generous upper bound for thread hand-offs; never reached when passing


class BlockingSink:
    """Records each write; the first write blocks until `release` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.writes: list[bytes] = []
        self.threads: set[int] = set()

    def write(self, data: bytes) -> int:
        self.threads.add(threading.get_ident())
        self.writes.append(data)
        self.entered.set()
        assert self.release.wait(WAIT)
        return len(data)

    def flush(self) -> None:
        pass

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for data in self.writes for line in data.splitlines()]


class BrokenSink:
    def __init__(self) -> None:
        self.calls = 0

    def write(self, data: bytes) -> int:
        self.calls += 1
        raise BrokenPipeError("reader went away")

    def flush(self) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[BlockingSink]:
    s = BlockingSink()
    yield s
    s.release.set()  # never leave a writer thread blocked


def parse(data: bytes) -> list[dict[str, Any]]:
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def test_writes_one_ndjson_line_per_span_with_schema_keys() -> None:
    out = io.BytesIO()
    tracer = JsonTracer(out)
    with tracer.start("GET", attributes={"request.path": "/"}) as root:
        with root.step("db") as child:
            child.event("query", {"rows": 3}, body="SELECT 1")
        root.fail("boom")
    tracer.close()
    records = parse(out.getvalue())
    assert [r["name"] for r in records] == ["db", "GET"]
    db, get = records
    assert set(get) == SCHEMA
    assert set(db) == SCHEMA | {"parent_id"}
    assert db["parent_id"] == get["span_id"]
    assert db["trace_id"] == get["trace_id"]
    assert db["events"][0]["body"] == "SELECT 1"
    assert get["status"] == "error"
    assert get["error"] == "boom"
    assert get["duration_ns"] == get["end_ns"] - get["start_ns"]
    assert b", " not in out.getvalue()  # compact separators


def test_writes_happen_on_a_background_thread(sink: BlockingSink) -> None:
    sink.release.set()
    tracer = JsonTracer(sink)
    tracer.start("a").end()
    tracer.close()
    assert sink.threads
    assert threading.get_ident() not in sink.threads


@pytest.mark.parametrize(("batch_size", "sizes"), [(512, [1, 5]), (2, [1, 2, 2, 1]), (1, [1] * 6)])
def test_batches_everything_queued_into_one_write(
    sink: BlockingSink, batch_size: int, sizes: list[int]
) -> None:
    tracer = JsonTracer(sink, batch_size=batch_size)
    tracer.start("first").end()
    assert sink.entered.wait(WAIT)  # the writer took "first" and is blocked
    for i in range(5):
        tracer.start(f"s{i}").end()
    sink.release.set()
    tracer.close()
    assert [data.count(b"\n") for data in sink.writes] == sizes
    assert [r["name"] for r in sink.lines()] == ["first", "s0", "s1", "s2", "s3", "s4"]


def test_full_queue_drops_and_reports(
    sink: BlockingSink, capsys: pytest.CaptureFixture[str]
) -> None:
    tracer = JsonTracer(sink, max_queue=2)
    tracer.start("first").end()
    assert sink.entered.wait(WAIT)
    for i in range(5):
        tracer.start(f"s{i}").end()
    assert tracer.dropped == 3
    sink.release.set()
    tracer.close()
    assert [r["name"] for r in sink.lines()] == ["first", "s0", "s1"]
    err = capsys.readouterr().err
    assert err == "stario: json tracer dropped 3 spans (queue full)\n"


def test_close_flushes_everything_and_is_idempotent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = io.BytesIO()
    tracer = JsonTracer(out, batch_size=64)
    for i in range(2000):
        tracer.start("s", attributes={"i": i}).end()
    tracer.close()
    tracer.close()
    records = parse(out.getvalue())
    assert [r["attributes"]["i"] for r in records] == list(range(2000))
    assert tracer.dropped == 0
    assert capsys.readouterr().err == ""


def test_close_without_spans_is_fine() -> None:
    out = io.BytesIO()
    tracer = JsonTracer(out)
    tracer.close()
    assert out.getvalue() == b""


def test_spans_after_close_are_dropped() -> None:
    out = io.BytesIO()
    tracer = JsonTracer(out)
    tracer.close()
    tracer.start("late").end()
    assert tracer.dropped == 1
    assert out.getvalue() == b""


def test_close_gives_up_on_a_stuck_stream(
    sink: BlockingSink, capsys: pytest.CaptureFixture[str]
) -> None:
    tracer = JsonTracer(sink, close_timeout=0.01)
    tracer.start("first").end()
    assert sink.entered.wait(WAIT)
    tracer.start("queued").end()
    tracer.close()  # returns although the writer is still blocked
    assert tracer.dropped == 1
    assert "dropped 1 spans" in capsys.readouterr().err


def test_write_errors_are_counted_never_raised() -> None:
    broken = BrokenSink()
    tracer = JsonTracer(broken, batch_size=1)
    tracer.start("a").end()
    tracer.start("b").end()
    tracer.close()
    assert tracer.write_errors == 2 == broken.calls


def test_non_json_values_are_stringified_and_unicode_kept() -> None:
    class Thing:
        def __str__(self) -> str:
            return "<thing>"

    out = io.BytesIO()
    tracer = JsonTracer(out)
    span = tracer.start("s")
    span.attributes["obj"] = Thing()  # type: ignore[assignment]
    span.attrs(nan=math.nan, inf=-math.inf, text="café ✓", seq=("a", 1))
    span.end()
    tracer.close()
    assert "café ✓".encode() in out.getvalue()
    (record,) = parse(out.getvalue())
    assert record["attributes"] == {
        "obj": "<thing>",
        "nan": "nan",
        "inf": "-inf",
        "text": "café ✓",
        "seq": ["a", 1],
    }


def test_lone_surrogate_still_gives_valid_json() -> None:
    out = io.BytesIO()
    tracer = JsonTracer(out)
    tracer.start("s", attributes={"raw": "a\udcffb"}).end()
    tracer.close()
    (record,) = parse(out.getvalue())
    assert record["attributes"]["raw"] == "a\udcffb"


attr_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.lists(st.one_of(st.booleans(), st.integers(), st.text()), max_size=3),
)


@settings(max_examples=50, deadline=None)
@given(name=st.text(), attrs=st.dictionaries(st.text(), attr_values, max_size=4))
def test_every_line_is_valid_json(name: str, attrs: dict[str, Any]) -> None:
    out = io.BytesIO()
    tracer = JsonTracer(out)
    tracer.start(name, attributes=attrs).end()
    tracer.close()
    (record,) = parse(out.getvalue())
    assert record["name"] == name
    expected = {
        k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in attrs.items()
    }
    assert record["attributes"] == expected


def test_default_stream_is_stdout_buffer_at_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="utf-8"))
    tracer = JsonTracer()
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # later swaps do not matter
    tracer.start("s").end()
    tracer.close()
    assert parse(raw.getvalue())[0]["name"] == "s"


def test_text_only_stdout_is_adapted(monkeypatch: pytest.MonkeyPatch) -> None:
    text = io.StringIO()
    monkeypatch.setattr(sys, "stdout", text)
    tracer = JsonTracer()
    tracer.start("s").end()
    tracer.close()
    assert json.loads(text.getvalue())["name"] == "s"


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARIO_TRACES_JSON_QUEUE", "7")
    monkeypatch.setenv("STARIO_TRACES_JSON_BATCH", "3")
    tracer = JsonTracer(io.BytesIO())
    assert (tracer.max_queue, tracer.batch_size) == (7, 3)
    tracer.close()
    tracer = JsonTracer(io.BytesIO(), max_queue=9, batch_size=4)
    assert (tracer.max_queue, tracer.batch_size) == (9, 4)
    tracer.close()


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STARIO_TRACES_JSON_QUEUE", raising=False)
    monkeypatch.delenv("STARIO_TRACES_JSON_BATCH", raising=False)
    tracer = JsonTracer(io.BytesIO())
    assert (tracer.max_queue, tracer.batch_size) == (10_000, 512)
    tracer.close()


@pytest.mark.parametrize("var", ["STARIO_TRACES_JSON_QUEUE", "STARIO_TRACES_JSON_BATCH"])
@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5"])
def test_bad_env_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=var):
        JsonTracer(io.BytesIO())


def test_bad_constructor_values() -> None:
    with pytest.raises(ValueError, match="max_queue"):
        JsonTracer(io.BytesIO(), max_queue=0)
    with pytest.raises(ValueError, match="batch_size"):
        JsonTracer(io.BytesIO(), batch_size=0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_forked_child_gets_its_own_writer() -> None:
    r, w = os.pipe()
    with open(r, "rb") as reader, open(w, "wb") as writer:
        tracer = JsonTracer(writer)
        tracer.start("parent").end()
        assert json.loads(reader.readline())["name"] == "parent"
        pid = os.fork()
        if pid == 0:  # child: must leave via os._exit, whatever happens
            try:
                tracer.start("child").end()
                tracer.close()
                os._exit(0 if tracer.dropped == tracer.write_errors == 0 else 1)
            finally:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert json.loads(reader.readline())["name"] == "child"
        tracer.close()


def test_span_is_plain_span() -> None:
    tracer = JsonTracer(io.BytesIO())
    span = tracer.start("s")
    assert type(span) is Span
    span.end()
    tracer.close()


def test_fast_line_matches_the_generic_encoding() -> None:
    root = Span(None, "GET", attributes={"a": 1, "b": "é\n", "c": None, "d": [1, 2], "e": 1.5})
    open_line = span_line(root)  # not ended yet: no end_ns, no duration_ns
    assert open_line == to_json(span_to_dict(root)) + "\n"
    assert json.loads(open_line)["end_ns"] is None
    child = root.step("db")
    child.fail('bad "quote"')
    child.end()
    root.end()
    for span in (root, child):
        assert (span.events, span.links) == ([], [])  # the fast path
        assert span_line(span) == to_json(span_to_dict(span)) + "\n"
