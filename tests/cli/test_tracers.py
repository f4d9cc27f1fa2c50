"""``--tracer``: built-in names, names of later releases, and MODULE:CALLABLE factories."""

from __future__ import annotations

from pathlib import Path

import pytest

from stario.cli import TracerError, make_tracer
from stario.telemetry import JsonTracer, NoopTracer

GOOD_FACTORY = """
from stario.telemetry import BaseTracer

class ListTracer(BaseTracer):
    def __init__(self):
        self.spans = []

    def export(self, span):
        self.spans.append(span)

def make():
    return ListTracer()

def broken():
    raise RuntimeError("no sink configured")

def wrong():
    return object()

INSTANCE = ListTracer()
"""


def tracer_error(spec: str) -> str:
    with pytest.raises(TracerError) as info:
        make_tracer(spec)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_json_and_noop() -> None:
    json_tracer = make_tracer("json")
    try:
        assert isinstance(json_tracer, JsonTracer)
    finally:
        json_tracer.close()
    assert isinstance(make_tracer("noop"), NoopTracer)


def test_auto_picks_json_when_stdout_is_not_a_terminal() -> None:
    # Under pytest stdout is captured, never a terminal.
    tracer = make_tracer("auto")
    try:
        assert isinstance(tracer, JsonTracer)
    finally:
        tracer.close()


@pytest.mark.parametrize(
    ("name", "class_name"),
    [("sqlite", "SqliteTracer"), ("tty", "TtyTracer"), ("otel", "OtelTracer")],
)
def test_every_builtin_name_builds_its_tracer(
    name: str, class_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STARIO_TRACES_SQLITE", str(tmp_path / "t.sqlite3"))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9/v1/traces")
    tracer = make_tracer(name)
    try:
        assert type(tracer).__name__ == class_name
    finally:
        tracer.close()


def test_unknown_name() -> None:
    assert tracer_error("jsn") == (
        "--tracer must be auto, json, sqlite, tty, noop, otel or MODULE:CALLABLE (got 'jsn')"
    )


def test_custom_factory_is_called_and_its_tracer_used(project: Path) -> None:
    (project / "cli_tracers_a.py").write_text(GOOD_FACTORY)
    tracer = make_tracer("cli_tracers_a:make")
    with tracer.start("probe"):
        pass
    assert [s.name for s in tracer.spans] == ["probe"]  # type: ignore[attr-defined]


def test_a_class_is_a_zero_argument_factory(project: Path) -> None:
    (project / "cli_tracers_b.py").write_text(GOOD_FACTORY)
    assert type(make_tracer("cli_tracers_b:ListTracer")).__name__ == "ListTracer"


def test_module_missing(project: Path) -> None:
    assert tracer_error("cli_no_such_tracers:make").startswith(
        "--tracer cli_no_such_tracers:make: cannot import 'cli_no_such_tracers'"
    )


def test_attribute_missing(project: Path) -> None:
    (project / "cli_tracers_c.py").write_text(GOOD_FACTORY)
    assert tracer_error("cli_tracers_c:nope").startswith(
        "--tracer cli_tracers_c:nope: module 'cli_tracers_c' has no attribute 'nope'"
    )


def test_factory_that_raises(project: Path) -> None:
    (project / "cli_tracers_d.py").write_text(GOOD_FACTORY)
    assert tracer_error("cli_tracers_d:broken") == (
        "--tracer cli_tracers_d:broken: calling it raised RuntimeError: no sink configured"
    )


def test_factory_returning_a_non_tracer_says_what_is_missing(project: Path) -> None:
    (project / "cli_tracers_e.py").write_text(GOOD_FACTORY)
    text = tracer_error("cli_tracers_e:wrong")
    assert text.startswith("--tracer cli_tracers_e:wrong: ")
    assert "'start'" in text
    assert "'close'" in text


def test_non_callable_object(project: Path) -> None:
    (project / "cli_tracers_f.py").write_text(GOOD_FACTORY)
    assert tracer_error("cli_tracers_f:INSTANCE") == (
        "--tracer cli_tracers_f:INSTANCE is a ListTracer, not a zero-argument factory"
    )
