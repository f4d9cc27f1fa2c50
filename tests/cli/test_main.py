"""The `stario` entry point: exit codes, one-line errors, --version and --help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stario.cli import OPTIONS, main
from stario.cli.main import build, version

TIMEOUT = 30


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stario", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_version_prints_name_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"stario {version()} ({build()})\n"


def test_version_says_which_build_runs() -> None:
    import stario.http.connection as connection

    compiled = not connection.__file__.endswith(".py")
    assert build() == ("compiled with mypyc" if compiled else "pure Python")


def test_version_from_python_m(child_env: dict[str, str], tmp_path: Path) -> None:
    done = run_cli(["--version"], child_env, tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("stario ")
    assert done.stdout.split()[1][0].isdigit()
    assert done.stdout.rstrip().endswith(f"({build()})")


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert "serve" in out
    assert "watch" in out


@pytest.mark.parametrize("command", ["serve", "watch"])
def test_command_help_lists_every_option_with_env_var_and_default(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    # Joining wrapped lines back makes each "(env X, default Y)" one string again.
    out = " ".join(capsys.readouterr().out.split())
    for opt in OPTIONS:
        assert opt.flag in out
        assert f"(env {opt.env}, default {opt.default})" in out
    assert "(env STARIO_PORT, default 8000)" in out
    assert "(env STARIO_HOST, default 127.0.0.1)" in out
    assert "(env STARIO_MAX_REQUEST_BODY_BYTES, default 10485760)" in out
    assert "--workers" not in out
    assert "(env STARIO_FORWARDED_ALLOW_IPS, default none)" in out


def test_watch_help_lists_watch_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["watch", "--help"])
    out = capsys.readouterr().out
    assert "--watch PATH" in out
    assert "--watch-ignore PATH" in out


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "main:bootstrap", "--port", "70000"],
        ["serve", "main:bootstrap", "--bogus"],
        ["serve"],
        ["frobnicate"],
        [],
        ["serve", "no_such_module_here:bootstrap"],
        ["serve", "main:bootstrap", "--tracer", "ttyy"],
    ],
)
def test_usage_errors_exit_2_with_one_line(
    args: list[str], capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("stario: error: ")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (["--port", "70000"], {}, "stario: error: --port must be between 0 and 65535 (got 70000)"),
        (["--port", "abc"], {}, "stario: error: --port must be an integer (got 'abc')"),
        ([], {"STARIO_PORT": "abc"}, "stario: error: STARIO_PORT=abc: --port must be an integer"),
        (
            ["--tracer", "sqlit"],
            {},
            "stario: error: --tracer must be auto, json, sqlite, tty, noop, otel or "
            "MODULE:CALLABLE (got 'sqlit')",
        ),
        (
            ["--max-request-header-bytes", "100"],
            {},
            "stario: error: --max-request-header-bytes must be >= 256 (got 100)",
        ),
    ],
)
def test_real_entry_point_rejects_bad_values(
    args: list[str],
    env: dict[str, str],
    line: str,
    child_env: dict[str, str],
    tmp_path: Path,
) -> None:
    done = run_cli(["serve", "main:bootstrap", *args], {**child_env, **env}, tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (2, line + "\n", "")


@pytest.mark.slow
def test_real_entry_point_reports_a_syntax_error_in_the_app(
    child_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "broken.py").write_text("x = 1\ndef bootstrap(:\n")
    done = run_cli(["serve", "broken:bootstrap"], child_env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("stario: error: broken.py:2: SyntaxError: ")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
