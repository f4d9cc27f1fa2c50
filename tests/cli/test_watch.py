"""``stario watch``: which changes restart the app, and the supervisor as a real process."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

from stario.cli import main
from stario.cli.watch import ChangeFilter

# --- the filter ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    ["main.py", "pkg/views.py", "templates/home.html", "static/app.css", "pyproject.toml"],
)
def test_source_files_are_relevant(rel: str, tmp_path: Path) -> None:
    assert ChangeFilter(roots=[str(tmp_path)]).relevant(str(tmp_path / rel))


@pytest.mark.parametrize(
    "rel",
    [
        "stario-traces.sqlite3",
        "stario-traces.sqlite3-wal",
        "stario-traces.sqlite3-shm",
        "app.sqlite",
        "app.sqlite-journal",
        "data/app.db",
        "data/app.db-wal",
        "__pycache__/main.cpython-311.pyc",
        "pkg/__pycache__/views.cpython-311.pyc",
        ".git/index",
        ".venv/lib/site.py",
        "venv/bin/python",
        "node_modules/x/index.js",
        ".mypy_cache/3.11/x.json",
        ".pytest_cache/v/cache",
        ".ruff_cache/x",
        ".main.py.swp",
    ],
)
def test_databases_caches_and_tool_dirs_are_ignored(rel: str, tmp_path: Path) -> None:
    assert not ChangeFilter(roots=[str(tmp_path)]).relevant(str(tmp_path / rel))


def test_watch_ignore_paths_and_globs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    changes = ChangeFilter(["uploads", "*.log"], roots=[str(tmp_path)])
    assert not changes.relevant(str(tmp_path / "uploads" / "a.png"))
    assert not changes.relevant(str(tmp_path / "server.log"))
    assert changes.relevant(str(tmp_path / "uploads.py"))


def test_ignored_names_only_count_below_the_watched_root(tmp_path: Path) -> None:
    root = tmp_path / "venv" / "myproject"
    assert ChangeFilter(roots=[str(root)]).relevant(str(root / "main.py"))


def test_missing_watch_path_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["watch", "main:bootstrap", "--watch", "nowhere"]) == 2
    assert capsys.readouterr().err == "stario: error: --watch nowhere: no such file or directory\n"


# --- the supervisor as a real process -----------------------------------------------------

APP = """\
import sys
from stario import responses

async def home(c, w):
    responses.text(w, "{version}")

async def bootstrap(app, span):
    print("app up {version}", file=sys.stderr, flush=True)
    app.get("/", home)
    yield
"""

STEP_TIMEOUT = 30.0


class Lines:
    """Reads a pipe on a thread so the test can wait for a line with a deadline."""

    def __init__(self, pipe: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe: IO[str]) -> None:
        for line in pipe:
            self._queue.put(line.rstrip("\n"))

    def expect(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + STEP_TIMEOUT
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r}; saw: {self.seen}")


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def expect_serving(lines: Lines, version: str) -> None:
    lines.expect(f"^app up {version}$")
    url = lines.expect(r"listening on (http://\S+)")[1]
    assert get(url + "/") == version


@pytest.mark.slow
def test_watch_restarts_on_change_and_survives_a_syntax_error(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caching as users have it
    app = tmp_path / "app.py"
    app.write_text(APP.format(version="v1"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "stario", "watch", "app:bootstrap", "--port", "0",
         "--tracer", "noop", "--graceful-timeout", "1",
         "--loop", "asyncio"],  # independent of whether uvloop is installed
        cwd=tmp_path, env=child_env, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    lines = Lines(proc.stderr)
    try:
        expect_serving(lines, "v1")

        # Same size and mtime as v1 (a quick one-character edit): the new code must run,
        # not v1's cached bytecode.
        before = app.stat()
        app.write_text(APP.format(version="v2"))
        os.utime(app, ns=(before.st_atime_ns, before.st_mtime_ns))
        lines.expect(r"^stario watch: restarting \(changed: app\.py\)$")
        expect_serving(lines, "v2")

        (tmp_path / "stario-traces.sqlite3").write_text("ignored")
        app.write_text("def bootstrap(:\n")
        lines.expect(r"^stario watch: restarting \(changed: app\.py\)$")
        lines.expect(r"^stario: error: app\.py:1: SyntaxError")
        lines.expect(r"^stario watch: app exited with code 2; waiting for changes\.\.\.$")

        app.write_text(APP.format(version="v3"))
        lines.expect(r"^stario watch: restarting \(changed: app\.py\)$")
        expect_serving(lines, "v3")

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=STEP_TIMEOUT) == 0
        # The sqlite file never triggered a restart of its own.
        assert not any("stario-traces" in line for line in lines.seen)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # lets the supervisor stop its child first
        try:
            proc.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
