"""Server processes: start pinned to a CPU, wait until they answer, read RSS, stop by PID.

Only processes started here are ever signalled, and only by their own PID (and the
PIDs of their children, read from ``/proc`` while they run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

SERVER_CPU = 0
CLIENT_CPU = 1


class ServerError(RuntimeError):
    """A server did not start, did not answer, or died; the message says which."""


def pinned(cpu: int, command: Sequence[str]) -> list[str]:
    """``command`` prefixed with ``taskset -c cpu`` when taskset exists and the CPU does."""
    count = os.cpu_count() or 1
    if shutil.which("taskset") is None or cpu >= count:
        return list(command)
    return ["taskset", "-c", str(cpu), *command]


def pin_self(cpu: int) -> None:
    """Keep this (orchestrating) process off the server's CPU, when the machine has it."""
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_status(port: int, path: str = "/plaintext", timeout: float = 1.0) -> int:
    """The status code of ``GET path`` on a fresh connection; raises ``OSError`` if none."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request.encode("ascii"))
        head = sock.recv(64)
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise OSError(f"not an HTTP response: {head!r}")
    return int(parts[1])


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` plus its descendants, in KiB (0 if it is gone)."""
    return sum(_own_rss_kib(p) for p in [pid, *descendants(pid)])


def _own_rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """PIDs of every live descendant of ``pid`` (e.g. a Granian worker)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                children = [int(c) for c in task.read_text().split()]
                found.extend(children)
                pending.extend(children)
    return found


def settle_rss(pid: int, *, interval: float = 0.25, limit: float = 5.0) -> int:
    """RSS (KiB) once two samples ``interval`` apart agree within 0.5 %, or after ``limit``."""
    previous = rss_kib(pid)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(interval)
        current = rss_kib(pid)
        if abs(current - previous) <= previous * 0.005:
            return current
        previous = current
    return previous


class Server:
    """One server process pinned to ``SERVER_CPU``; use as a context manager.

    ``command`` is the program and its arguments; ``cwd`` its working directory. Its
    output goes to ``log`` so a failure can be explained.
    """

    __slots__ = ("command", "cwd", "env", "log", "name", "port", "proc")

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        cwd: Path,
        log: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.port = port
        self.cwd = cwd
        self.log = log
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's PID (taskset execs the command, so it is the server itself)."""
        if self.proc is None:
            raise ServerError(f"{self.name} is not running")
        return self.proc.pid

    def start(self) -> None:
        """Spawn the process pinned to the server CPU."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                pinned(SERVER_CPU, self.command),
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C of the runner reaches us, not the server
            )

    def wait_ready(self, timeout: float = 30.0, path: str = "/plaintext") -> None:
        """Poll ``GET path`` until it answers 200; raise ``ServerError`` on exit or timeout."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.proc.returncode}{self._tail()}")
            try:
                status = get_status(self.port, path)
            except OSError as exc:
                last = exc
            else:
                if status == 200:
                    return
                last = f"status {status}"
            time.sleep(0.05)
        raise ServerError(
            f"{self.name} did not answer within {timeout:.0f} s ({last}){self._tail()}"
        )

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the server (its children too, by PID); SIGKILL whatever is left."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        children = [(pid, _start_time(pid)) for pid in descendants(proc.pid)]
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
        for child, started in children:
            _kill_if_same(child, started)

    def _tail(self, lines: int = 8) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return ("\n    " + "\n    ".join(text[-lines:])) if text else ""

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (start time) counted after the parenthesised command name.
    return stat.rpartition(")")[2].split()[19]


def _kill_if_same(pid: int, started: str | None) -> None:
    # A child that outlived its parent's shutdown. Its start time must still match, so
    # a recycled PID belonging to someone else is never signalled.
    if started is None or _start_time(pid) != started:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
