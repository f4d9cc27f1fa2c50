"""``stario serve --check MODULE:ATTR``: bootstrap setup and teardown, no socket."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stario.cli import main

GOOD = """
import asyncio

EVENTS = []

async def bootstrap(app, span):
    EVENTS.append("setup")

    async def home(c, w):
        w.respond("home", "text/plain")

    async def worker():
        await app.wait_shutdown()
        EVENTS.append("task saw shutdown")

    app.get("/", home)
    app.create_task(worker())
    yield
    EVENTS.append("teardown")
"""


def test_a_good_bootstrap_prints_ok_and_exits_0(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "check_good.py").write_text(GOOD)
    assert main(["serve", "--check", "check_good:bootstrap"]) == 0
    assert capsys.readouterr() == ("ok: check_good:bootstrap\n", "")
    import check_good  # type: ignore[import-not-found]

    # Setup, the shutdown signal (tasks end), then teardown: the server's order.
    assert check_good.EVENTS == ["setup", "task saw shutdown", "teardown"]


def test_check_never_binds_the_port(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "check_bind.py").write_text(GOOD)
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert main(["serve", "--check", "check_bind:bootstrap", "--port", port]) == 0
    assert "ok: check_bind:bootstrap" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "async def bootstrap(app, span):\n    raise RuntimeError('db down')\n    yield\n",
            "stario: error: check failed: check_bad:bootstrap: bootstrap raised "
            "RuntimeError: db down (check_bad.py:2)",
        ),
        (
            "async def bootstrap(app, span):\n    yield\n    raise OSError('flush failed')\n",
            "stario: error: check failed: check_bad:bootstrap: bootstrap raised "
            "OSError: flush failed (check_bad.py:3)",
        ),
        (
            "async def bootstrap(app, span):\n    yield\n    yield\n",
            "stario: error: check failed: check_bad:bootstrap: bootstrap bootstrap yielded "
            "more than once",
        ),
        (
            "async def h(c, w):\n    pass\n"
            "async def bootstrap(app, span):\n    app.get('/a', h)\n    app.get('/a', h)\n",
            "stario: error: check failed: check_bad:bootstrap: ",
        ),
    ],
)
def test_a_failing_bootstrap_exits_1_with_the_error(
    project: Path, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    (project / "check_bad.py").write_text(source)
    assert main(["serve", "--check", "check_bad:bootstrap"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(message)


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--check", "check_missing_module:bootstrap"],
        ["serve", "--check", "main.py"],
        ["serve", "--check", "check_usage:nope"],
        ["serve", "--check", "check_usage:bootstrap", "--port", "70000"],
        ["serve", "--check", "check_usage:bootstrap", "--forwarded-allow-ips", "nope"],
        ["watch", "--check", "check_usage:bootstrap"],
    ],
)
def test_usage_errors_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    (project / "check_usage.py").write_text(GOOD)
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("stario: error: ")
    assert err.count("\n") == 1


@pytest.mark.slow
def test_the_real_entry_point(tmp_path: Path, child_env: dict[str, str]) -> None:
    (tmp_path / "main.py").write_text(GOOD)
    done = subprocess.run(
        [sys.executable, "-m", "stario", "serve", "--check", "main:bootstrap"],
        cwd=tmp_path,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok: main:bootstrap\n", "")
