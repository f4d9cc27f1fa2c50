"""Caddy in front of ``stario serve`` as real processes, and curl as the browser.

The Caddy configuration is the shipped ``examples/deploy/Caddyfile.*`` with only what
a test needs changed: the site (a ``.test`` name on a free loopback port, ``tls
internal``), the upstream (this test's stario), and global options that keep Caddy off
system state (no admin endpoint, no trust-store install, no port 80). Caddy's data and
config directories live in the test's temporary directory. Processes are stopped by
PID; every wait is bounded.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.live import StarioProcess, StderrLines

DEPLOY_DIR = Path(__file__).resolve().parents[3] / "examples" / "deploy"
HOST = "app.stario.test"
BOUND = 20.0  # seconds; a generous upper bound for any single wait
_READY = ('"msg":"serving initial configuration"', '"msg":"certificate obtained successfully"')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected exactly one {old!r} in the Caddyfile"
    return text.replace(old, new)


def caddy_config(kind: str, *, port: int, upstream: str) -> str:
    """``examples/deploy/Caddyfile.<kind>`` serving ``https://HOST:port`` from `upstream`."""
    text = (DEPLOY_DIR / f"Caddyfile.{kind}").read_text("utf-8")
    shipped_upstream = "127.0.0.1:8000" if kind == "tcp" else "unix//run/stario/app.sock"
    local_only = (
        "{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n"
        f"\thttp_port {free_port()}\n\thttps_port {port}\n\tservers {{"
    )
    text = _once(text, "{\n\tservers {", local_only)
    text = _once(
        text, "\nexample.com {\n", f"\nhttps://{HOST}:{port} {{\n\tbind 127.0.0.1\n\ttls internal\n"
    )
    return _once(text, f"\treverse_proxy {shipped_upstream} {{", f"\treverse_proxy {upstream} {{")


class CaddyProcess:
    """``caddy run --config FILE --adapter caddyfile`` with its own HOME and XDG dirs."""

    def __init__(self, config: str, home: Path, *, user: str | None = None) -> None:
        caddy = shutil.which("caddy")
        assert caddy is not None
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.config_path = home / "Caddyfile"
        self.config_path.write_text(config, "utf-8")
        if user is not None:  # Caddy keeps its certificates and state under HOME
            shutil.chown(home, user, _primary_group(user))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
        }
        self.argv = [caddy, "run", "--config", str(self.config_path), "--adapter", "caddyfile"]
        self.proc = subprocess.Popen(
            self.argv,
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            user=user,
            group=None if user is None else _primary_group(user),
            extra_groups=None if user is None else [],
        )
        self._stderr = StderrLines(self.proc)
        self.lines = self._stderr.lines

    @property
    def root_ca(self) -> Path:
        """The root certificate of Caddy's internal CA (what curl trusts)."""
        return self.home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    def wait_ready(self, port: int) -> None:
        """Until Caddy serves ``HOST`` over TLS on ``port``; fail with its log otherwise."""
        missing = set(_READY)
        while missing:
            try:
                line = self._stderr.next(BOUND)
            except queue.Empty:
                raise AssertionError(f"caddy not ready within {BOUND} s\n{self.log()}") from None
            if line is None:
                raise AssertionError(f"caddy exited before it was ready\n{self.log()}")
            missing = {m for m in missing if m not in line}
        # Caddy logs "certificate obtained" before it puts the certificate in the cache
        # its handshakes use; a handshake in between ends in an "internal error" alert.
        tls = ssl.create_default_context(cafile=str(self.root_ca))
        deadline = time.monotonic() + BOUND
        while True:
            try:
                with (
                    socket.create_connection(("127.0.0.1", port), timeout=BOUND) as raw,
                    tls.wrap_socket(raw, server_hostname=HOST),
                ):
                    return
            except OSError as exc:  # ssl.SSLError included
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError(f"no TLS handshake: {exc}\n{self.log()}") from None
                time.sleep(0.05)

    def log(self) -> str:
        """The command line, its exit status and everything Caddy logged."""
        self.proc.poll()
        head = f"$ {' '.join(self.argv)}  (pid {self.proc.pid}, exit {self.proc.returncode})"
        return "\n".join([head, self.config_path.read_text("utf-8"), *self.lines[-40:]])

    def stop(self) -> None:
        """Stop Caddy by its PID (kill if it does not exit) and release its pipe."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(BOUND)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(BOUND)
        self._stderr.close(BOUND)


def _primary_group(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_gid


@dataclass
class Stack:
    """A stario process behind a Caddy process, reached as ``https://HOST:port``."""

    stario: StarioProcess
    caddy: CaddyProcess
    port: int
    upstream: str

    def stop(self) -> None:
        self.caddy.stop()
        self.stario.stop()


@dataclass
class Reply:
    """One response as curl saw it: status, protocol version, headers and body."""

    status: int
    version: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str:
        """The one value of header `name`; fail when it is missing or repeated."""
        values = self.headers.get(name.lower(), [])
        assert len(values) == 1, f"{name}: expected one value, got {values}"
        return values[0]


def curl_argv(stack: Stack, path: str, *, http: str = "2", extra: Sequence[str] = ()) -> list[str]:
    """The curl command for ``https://HOST:port/path`` through `stack` (CA pinned)."""
    curl = shutil.which("curl")
    assert curl is not None
    return [
        curl, "-sS", "--max-time", str(BOUND),
        "--cacert", str(stack.caddy.root_ca),
        "--resolve", f"{HOST}:{stack.port}:127.0.0.1",
        "--http2" if http == "2" else "--http1.1",
        *extra,
        f"https://{HOST}:{stack.port}{path}",
    ]  # fmt: skip


def curl(
    stack: Stack, path: str, *, http: str = "2", extra: Sequence[str] = (), tmp: Path
) -> Reply:
    """Fetch `path` through `stack` and return the final response."""
    head, body = tmp / "curl-head", tmp / "curl-body"
    argv = curl_argv(
        stack,
        path,
        http=http,
        extra=[*extra, "-D", str(head), "-o", str(body), "-w", "%{http_code} %{http_version}"],
    )
    done = subprocess.run(argv, capture_output=True, text=True, timeout=BOUND * 2, check=False)
    assert done.returncode == 0, f"curl failed: {done.stderr}\n{stack.caddy.log()}"
    status, version = done.stdout.split()
    return Reply(int(status), version, _last_head(head.read_text("latin-1")), body.read_bytes())


def _last_head(text: str) -> dict[str, list[str]]:
    # 100 Continue (and other 1xx) heads come first; the final head is the last block.
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    headers: dict[str, list[str]] = {}
    for line in blocks[-1].splitlines()[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers
