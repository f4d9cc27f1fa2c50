"""``stario serve`` wiring: config, bootstrap and tracer reach ``Server``; its code is ours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import stario.server
from stario.cli import main
from stario.config import ServerConfig
from stario.telemetry import NoopTracer

APP = "async def bootstrap(app, span):\n    yield\n"


class FakeServer:
    """Records what `serve` built and returns a chosen exit code."""

    calls: list[tuple[Any, Any, ServerConfig]] = []
    code = 0

    def __init__(self, bootstrap: Any, tracer: Any, config: ServerConfig) -> None:
        FakeServer.calls.append((bootstrap, tracer, config))

    def run(self) -> int:
        return FakeServer.code


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> type[FakeServer]:
    FakeServer.calls = []
    monkeypatch.setattr(stario.server, "Server", FakeServer)
    return FakeServer


def test_serve_hands_bootstrap_tracer_and_config_to_server(
    project: Path, fake_server: type[FakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "cli_serve_a.py").write_text(APP)
    monkeypatch.setenv("STARIO_HOST", "0.0.0.0")
    fake_server.code = 0
    assert main(["serve", "cli_serve_a:bootstrap", "--port", "0", "--tracer", "noop"]) == 0
    [(bootstrap, tracer, config)] = fake_server.calls
    assert bootstrap.__module__ == "cli_serve_a"
    assert isinstance(tracer, NoopTracer)
    assert config == ServerConfig(host="0.0.0.0", port=0)


def test_serve_returns_the_server_exit_code(project: Path, fake_server: type[FakeServer]) -> None:
    (project / "cli_serve_b.py").write_text(APP)
    fake_server.code = 1
    assert main(["serve", "cli_serve_b:bootstrap", "--tracer", "noop"]) == 1


def test_a_bad_app_never_reaches_the_server(
    project: Path, fake_server: type[FakeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "cli_serve_missing:bootstrap"]) == 2
    assert fake_server.calls == []
    assert capsys.readouterr().err.startswith("stario: error: cannot import 'cli_serve_missing'")


def test_a_bad_custom_tracer_from_env_names_the_variable(
    project: Path,
    fake_server: type[FakeServer],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (project / "cli_serve_c.py").write_text(APP + "\ndef tracer():\n    return 1\n")
    monkeypatch.setenv("STARIO_TRACER", "cli_serve_c:tracer")
    assert main(["serve", "cli_serve_c:bootstrap"]) == 2
    assert fake_server.calls == []
    err = capsys.readouterr().err
    assert err.startswith("stario: error: STARIO_TRACER=cli_serve_c:tracer: --tracer cli_serve_c")
    assert err.count("\n") == 1
