"""`TtyTracer` in a real server whose standard output is a real pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stario.telemetry.tty import is_terminal
from tests.children import STARIO_PATH

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX pseudo-terminals"),
]

BOUND = 20.0  # seconds; an upper bound for the whole child run, never reached when passing
ESC = b"\x1b"

CHILD = """
from __future__ import annotations

import asyncio
import sys

from stario import App, Context, Span, Writer, responses
from stario.config import ServerConfig
from stario.server import Server
from stario.telemetry import TtyTracer
from stario.telemetry.tty import is_terminal

release = asyncio.Event()


async def ok(c: Context, w: Writer) -> None:
    with c.span.step("db.query", {"rows": 1}):
        pass
    c.span.event("cache miss", {"key": "users:42"})
    responses.text(w, "ok")


def explode() -> None:
    raise ValueError("kaboom")


async def boom(c: Context, w: Writer) -> None:
    explode()


async def slow(c: Context, w: Writer) -> None:
    await release.wait()
    responses.text(w, "slow")


async def bootstrap(app: App, span: Span):
    app.get("/ok", ok)
    app.get("/boom", boom)
    app.get("/slow", slow)
    yield


async def fetch(port: int, path: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n".encode())
    data = await reader.read()
    writer.close()
    return data.split(b" ", 2)[1].decode()


async def main() -> None:
    print(f"child: is_terminal={is_terminal(sys.stdout)}", file=sys.stderr, flush=True)
    server = Server(bootstrap, TtyTracer(refresh=0.02), ServerConfig(port=0))
    serving = asyncio.create_task(server.serve())
    await server.started()
    port = server.port
    statuses = [await fetch(port, p) for p in ("/ok", "/missing", "/boom")]
    pending = asyncio.create_task(fetch(port, "/slow"))
    # The test answers on stdin once it has seen what it waits for on the terminal.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    release.set()
    statuses.append(await pending)
    print(f"child: statuses={statuses}", file=sys.stderr, flush=True)
    server.shutdown()
    await serving


asyncio.run(main())
"""


@dataclass
class Run:
    out: str  # what the terminal received, with the pty's CR LF turned back into LF
    err: str
    returncode: int


@pytest.fixture
def child_script(tmp_path: Path) -> Path:
    path = tmp_path / "child.py"
    path.write_text(CHILD)
    return path


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("STARIO_") and k not in ("NO_COLOR", "FORCE_COLOR")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [STARIO_PATH, env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def run_on_pty(script: Path, tmp_path: Path, env: dict[str, str], wait_for: bytes | None) -> Run:
    """Run `script` with stdout on a fresh pty; release it once `wait_for` shows up."""
    master, slave = pty.openpty()
    # A known size, so the tracer's width does not depend on the machine running this.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    err_path = tmp_path / "stderr.txt"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=slave,
            stderr=err,
            env=env,
            cwd=tmp_path,
        )
    os.close(slave)  # the child holds the only copy: EOF (EIO) arrives when it exits
    try:
        out = read_pty(master, proc, wait_for)
        proc.wait(timeout=BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        assert proc.stdin is not None
        proc.stdin.close()
    text = out.replace(b"\r\n", b"\n").decode("utf-8")
    return Run(text, err_path.read_text(), proc.returncode)


def read_pty(master: int, proc: subprocess.Popen[bytes], wait_for: bytes | None) -> bytes:
    out = bytearray()
    released = False
    deadline = time.monotonic() + BOUND
    while True:
        if not released and (wait_for is None or wait_for in out):
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
            released = True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"child did not finish in {BOUND} s; terminal so far: {bytes(out)!r}")
        ready, _, _ = select.select([master], [], [], remaining)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every slave descriptor is closed
            return bytes(out)
        if not chunk:
            return bytes(out)
        out += chunk


def header(out: str, label: str, status: str) -> list[str]:
    """Finished-request header lines for `label` (escape codes removed), e.g. GET /ok 200."""
    plain = re.sub(r"\r|\x1b\[[\d;]*[A-Za-z]", "", out)
    pattern = rf"^\d\d:\d\d:\d\d\.\d{{3}}  {re.escape(label)}  {status}  \S+ \S+"
    return [line for line in plain.split("\n") if re.match(pattern, line)]


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    yield r, w
    os.close(r)
    os.close(w)


def test_is_terminal_is_true_for_a_pty_and_false_for_a_pipe(pipe: tuple[int, int]) -> None:
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as tty_stream:
            assert is_terminal(tty_stream)
        with os.fdopen(pipe[1], "w", closefd=False) as pipe_stream:
            assert not is_terminal(pipe_stream)
    finally:
        os.close(master)
        os.close(slave)


def test_live_tree_on_a_real_terminal(child_script: Path, tmp_path: Path) -> None:
    # The child holds /slow open until the footer listing it has reached the terminal.
    run = run_on_pty(child_script, tmp_path, child_env(), wait_for=b"GET /slow")
    assert run.returncode == 0, run.err
    assert "child: is_terminal=True" in run.err
    assert "child: statuses=['200', '404', '500', '200']" in run.err
    out = run.out

    # Status colours: green 200, yellow 404, red 500 (and the red label of a failure).
    assert "\x1b[32m200\x1b[0m" in out
    assert "\x1b[33m404\x1b[0m" in out
    assert "\x1b[31m500\x1b[0m" in out
    assert len(header(out, "GET /ok", "200")) == 1
    assert len(header(out, "GET /missing", "404")) == 1
    assert len(header(out, "GET /boom", "500")) == 1
    assert len(header(out, "GET /slow", "200")) == 1

    # The tree under /ok and the traceback under /boom.
    plain = re.sub(r"\x1b\[[\d;]*m", "", out)
    assert re.search(r"\n  ├─ db\.query  \S+ \S+  rows=1\n  └─ • cache miss  key=users:42\n", plain)
    assert "  └─ • exception  ValueError: kaboom\n" in plain
    assert "Traceback (most recent call last):" in plain
    assert ", in explode\n" in plain
    assert "       ValueError: kaboom\n" in plain
    # Startup and shutdown are trees too.
    assert re.search(r"server\.startup  ok  ", plain)
    assert re.search(r"server\.shutdown  ok  ", plain)

    # The live footer was drawn, erased with cursor movement, and is gone at the end.
    assert re.search(r"\x1b\[2m── 1 in flight ──\x1b\[0m\n", out)
    assert re.search(r"\r\x1b\[\d+A\x1b\[J", out)
    last_clear = out.rindex("\x1b[J")
    assert "in flight" not in out[last_clear:]
    assert header(out[last_clear:], "GET /slow", "200")


def test_no_color_on_a_real_terminal_writes_no_escape_bytes(
    child_script: Path, tmp_path: Path
) -> None:
    run = run_on_pty(child_script, tmp_path, child_env(NO_COLOR="1"), wait_for=None)
    assert run.returncode == 0, run.err
    assert "child: is_terminal=True" in run.err
    assert "\x1b" not in run.out
    assert len(header(run.out, "GET /ok", "200")) == 1
    assert len(header(run.out, "GET /boom", "500")) == 1
    assert "  └─ • exception  ValueError: kaboom\n" in run.out
    assert "Traceback (most recent call last):" in run.out
    assert "in flight" not in run.out
