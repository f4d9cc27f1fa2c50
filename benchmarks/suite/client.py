"""Drive ``loadgen.py``: start it pinned to the client CPU, send commands, read its JSON lines."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from suite.paths import LOADGEN
from suite.procs import CLIENT_CPU, pinned


class LoadGenError(RuntimeError):
    """The load generator died, timed out or reported an error."""


class LoadGen:
    """One ``loadgen.py`` process; use as a context manager (it is stopped by its PID)."""

    __slots__ = ("_lines", "_log", "args", "proc")

    def __init__(self, args: list[str], log: Path) -> None:
        self.args = args
        self._log = log
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> LoadGen:
        with self._log.open("a") as err:
            self.proc = subprocess.Popen(
                pinned(CLIENT_CPU, [sys.executable, str(LOADGEN), *self.args]),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                start_new_session=True,
            )
        threading.Thread(target=self._pump, daemon=True).start()
        return self

    def _pump(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, command: str) -> None:
        """Write one command line to the generator."""
        assert self.proc is not None
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise LoadGenError(f"load generator is gone{self._tail()}") from None

    def expect(self, event: str, timeout: float) -> dict[str, Any]:
        """The next JSON line, which must be ``event``; raises on timeout, exit or mismatch."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise LoadGenError(f"no {event!r} from the load generator in {timeout:.0f} s") from None
        if line is None:
            raise LoadGenError(f"load generator exited before {event!r}{self._tail()}")
        message: dict[str, Any] = json.loads(line)
        if message.get("event") != event:
            raise LoadGenError(f"expected {event!r}, got {message}")
        return message

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            self.send("quit")
            proc.wait(timeout=30)
        except (LoadGenError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=10)

    def _tail(self) -> str:
        try:
            lines = self._log.read_text(errors="replace").strip().splitlines()[-5:]
        except OSError:
            return ""
        return (":\n    " + "\n    ".join(lines)) if lines else ""
