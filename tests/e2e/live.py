"""A real ``python -m stario serve`` child process and a tiny blocking HTTP/1.1 client.

Every wait is bounded: reads use socket timeouts, line waits use queue timeouts, and
`StarioProcess.stop` kills the child by its PID whatever happened in the test.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.children import STARIO_PATH

BOUND = 15.0  # seconds; a generous upper bound for any single wait
_LISTENING = re.compile(r"stario: listening on http://127\.0\.0\.1:(\d+)")


def child_env() -> dict[str, str]:
    """The environment for a child that imports stario from this source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARIO_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [STARIO_PATH, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # never leave __pycache__ in examples/
    return env


class StderrLines:
    """A child's stderr read on a thread: every line kept in `lines`, new ones to wait on."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)  # EOF: the child closed stderr (it exited)

    def next(self, timeout: float) -> str | None:
        """The next line (None once the child closed stderr); `queue.Empty` on timeout."""
        return self._queue.get(timeout=timeout)

    def join(self, timeout: float) -> None:
        """Wait until every line the child wrote has been read."""
        self._thread.join(timeout)

    def close(self, timeout: float) -> None:
        """Finish reading (the child has exited) and release the pipe."""
        self._thread.join(timeout)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


class StarioProcess:
    """``python -m stario serve ARGS`` in `cwd`; stdout goes to a file, stderr is read live."""

    def __init__(self, args: Sequence[str], cwd: Path, stdout_path: Path) -> None:
        self.stdout_path = stdout_path
        self._stdout = stdout_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stario", "serve", *args],
            cwd=cwd,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=subprocess.PIPE,
        )
        self._stderr = StderrLines(self.proc)
        self.stderr_lines = self._stderr.lines

    def wait_for_line(self, pattern: str, timeout: float = BOUND) -> re.Match[str]:
        """The first stderr line matching `pattern`; fail if the child ends or time runs out."""
        regex = re.compile(pattern)
        while True:
            try:
                line = self._stderr.next(timeout)
            except queue.Empty:
                raise AssertionError(
                    f"no stderr line like {pattern!r} within {timeout} s; "
                    f"stderr so far: {self.stderr_lines}"
                ) from None
            if line is None:
                raise AssertionError(
                    f"the server ended before printing {pattern!r}; stderr: {self.stderr_lines}"
                )
            match = regex.search(line)
            if match:
                return match

    def wait_listening(self) -> int:
        """The port from the ``stario: listening on ...`` line."""
        return int(self.wait_for_line(_LISTENING.pattern)[1])

    def terminate(self) -> None:
        """Send SIGTERM, as a process manager does."""
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = BOUND) -> int:
        """The exit code; the reader thread has seen all of stderr afterwards."""
        code = self.proc.wait(timeout=timeout)
        self._stderr.join(timeout)
        return code

    def stop(self) -> None:
        """Kill the child if it still runs and release its pipes (use in ``finally``)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=BOUND)
        self._stderr.close(BOUND)
        self._stdout.close()

    def spans(self) -> list[dict[str, Any]]:
        """Every NDJSON line on stdout, parsed; any line that is not JSON fails the test."""
        text = self.stdout_path.read_text("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def port_free(port: int, host: str = "0.0.0.0") -> bool:
    """Whether ``port`` can be bound on ``host`` now (a test that needs it skips if not)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


# --- the client side ----------------------------------------------------------------------


def connect(port: int) -> socket.socket:
    """A TCP connection to the server; every read on it times out after `BOUND`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
    sock.settimeout(BOUND)
    return sock


def send_request(port: int, target: str, method: str = "GET") -> socket.socket:
    """Open a connection and send one keep-alive HTTP/1.1 request."""
    sock = connect(port)
    sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return sock


def read_until(sock: socket.socket, data: bytearray, needle: bytes, count: int = 1) -> None:
    """Receive into `data` until `needle` occurs `count` times (EOF first fails)."""
    while data.count(needle) < count:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before {needle!r} x{count}: {bytes(data)!r}")
        data += chunk


def read_to_eof(sock: socket.socket, data: bytearray | None = None) -> bytes:
    """Receive until the server closes the connection; a reset counts as a close."""
    out = bytearray() if data is None else data
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return bytes(out)
        if not chunk:
            return bytes(out)
        out += chunk


def fetch(sock: socket.socket, target: str, method: str = "GET") -> RawResponse:
    """Send a request on an open keep-alive connection and read exactly its response."""
    sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = bytearray()
    read_until(sock, data, b"\r\n\r\n")
    head_end = data.index(b"\r\n\r\n") + 4
    length = re.search(rb"(?im)^content-length:\s*(\d+)\r$", bytes(data[:head_end]))
    assert length is not None, f"expected a content-length response: {bytes(data)!r}"
    size = 0 if method == "HEAD" else int(length[1])
    while len(data) < head_end + size:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-body: {bytes(data)!r}"
        data += chunk
    response, rest = parse_response(bytes(data), head_request=method == "HEAD")
    assert rest == b"", f"unexpected bytes after the response: {rest!r}"
    return response


@dataclass
class RawResponse:
    """One response as read off the wire."""

    status: int
    headers: dict[str, str]
    body: bytes
    chunked_complete: bool = False
    """For a chunked body: the ``0\\r\\n\\r\\n`` terminator arrived."""


def parse_response(data: bytes, *, head_request: bool = False) -> tuple[RawResponse, bytes]:
    """Parse one response from the front of `data`; return it and what follows."""
    end = data.find(b"\r\n\r\n")
    assert end >= 0, f"no complete response head in {data!r}"
    lines = data[:end].decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        assert name.lower() not in headers, f"duplicate header {name}"
        headers[name.lower()] = value.strip()
    rest = data[end + 4 :]
    if head_request:
        return RawResponse(status, headers, b""), rest
    if headers.get("transfer-encoding") == "chunked":
        body, complete, rest = _dechunk(rest)
        return RawResponse(status, headers, body, complete), rest
    length = int(headers.get("content-length", "0"))
    assert len(rest) >= length, f"body truncated: {len(rest)} of {length} bytes"
    return RawResponse(status, headers, rest[:length]), rest[length:]


def _dechunk(data: bytes) -> tuple[bytes, bool, bytes]:
    body = bytearray()
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return bytes(body), False, b""
        size = int(data[pos:eol], 16)
        start = eol + 2
        if size == 0:
            assert data[start : start + 2] == b"\r\n", "no CRLF after the last chunk"
            return bytes(body), True, data[start + 2 :]
        chunk = data[start : start + size]
        if len(chunk) < size or data[start + size : start + size + 2] != b"\r\n":
            return bytes(body + chunk), False, b""
        body += chunk
        pos = start + size + 2
