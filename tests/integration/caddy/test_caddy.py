"""The deploy example behind a real Caddy, over TCP and over a Unix socket.

Caddy runs the shipped ``examples/deploy/Caddyfile.tcp`` / ``Caddyfile.unix`` (site
and upstream swapped for local ones, see ``stack.py``) with ``tls internal``; curl
talks HTTPS to it with Caddy's root certificate pinned.

- TCP stack: stario with ``--max-request-body-bytes 65536`` and no proxy trust.
- Unix stack: stario on a 0660 socket with ``--forwarded-allow-ips unix`` and the
  default body cap, which is Caddy's.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.live import StarioProcess
from tests.integration.caddy.stack import (
    BOUND,
    DEPLOY_DIR,
    HOST,
    CaddyProcess,
    Stack,
    caddy_config,
    curl,
    curl_argv,
    free_port,
)

CADDY_BODY_CAP = 10 * 1024 * 1024  # max_size 10MiB in the shipped Caddyfiles
# What the TCP stack's stario is started with. Small on purpose: after an early 413 Caddy
# (Go's server) drains an unread body of up to 256 KiB, so curl can finish sending and
# always reads the answer; above that it may close while curl still sends.
STARIO_BODY_CAP = 64 * 1024
TICKS = 21  # the clock sends one event every 0.5 s: 21 events span 10 s
_SKIP = "CADDY TESTS SKIPPED: "


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    if shutil.which("caddy") is None:
        pytest.skip(f"{_SKIP}no caddy on PATH; run scripts/install-caddy")
    curl_bin = shutil.which("curl")
    if curl_bin is None:
        pytest.skip(f"{_SKIP}no curl on PATH")
    version = subprocess.run([curl_bin, "--version"], capture_output=True, text=True, check=True)
    if "HTTP2" not in version.stdout:
        pytest.skip(f"{_SKIP}this curl cannot speak HTTP/2")


def start_stack(kind: str, tmp: Path, args: list[str], *, caddy_user: str | None = None) -> Stack:
    """stario (examples/deploy) on `kind` ("tcp" or "unix") with `args`, Caddy in front."""
    common = ["main:bootstrap", "--tracer", "json", *args]
    if kind == "tcp":
        stario = StarioProcess([*common, "--port", "0"], DEPLOY_DIR, tmp / "stario.ndjson")
        upstream = f"127.0.0.1:{stario.wait_listening()}"
    else:
        stario = StarioProcess(common, DEPLOY_DIR, tmp / "stario.ndjson")
        upstream = "unix/" + stario.wait_for_line(r"stario: listening on unix:(\S+)")[1]
    port = free_port()
    caddy = CaddyProcess(
        caddy_config(kind, port=port, upstream=upstream), tmp / "caddy", user=caddy_user
    )
    stack = Stack(stario, caddy, port, upstream)
    try:
        caddy.wait_ready(port)
    except BaseException:
        stack.stop()
        raise
    return stack


@pytest.fixture(scope="module")
def tcp_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(
        "tcp", tmp_path_factory.mktemp("tcp"), ["--max-request-body-bytes", str(STARIO_BODY_CAP)]
    )
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def unix_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("unix")
    socket_path = tmp / "run" / "app.sock"
    socket_path.parent.mkdir()
    args = [
        "--unix-socket", str(socket_path), "--unix-socket-mode", "0660",
        "--forwarded-allow-ips", "unix",
    ]  # fmt: skip
    stack = start_stack("unix", tmp, args)
    yield stack
    stack.stop()


@pytest.fixture(params=["tcp", "unix"])
def stack(request: pytest.FixtureRequest) -> Stack:
    result: Stack = request.getfixturevalue(f"{request.param}_stack")
    return result


# --- pages, headers, HTTP/2 -------------------------------------------------------------------


def test_the_page_loads_over_https_with_http2(stack: Stack, tmp_path: Path) -> None:
    reply = curl(stack, "/", http="2", tmp=tmp_path)
    assert (reply.status, reply.version) == (200, "2")
    assert reply.header("content-type") == "text/html; charset=utf-8"
    assert b"<title>stario deploy example</title>" in reply.body
    # Caddy adds what the app left out ...
    assert reply.header("strict-transport-security") == "max-age=31536000; includeSubDomains"
    assert reply.header("permissions-policy") == "camera=(), microphone=(), geolocation=()"
    # ... and keeps what the app set (the app's Referrer-Policy differs from Caddy's).
    assert reply.header("referrer-policy") == "same-origin"
    assert reply.header("x-frame-options") == "DENY"
    assert reply.header("x-content-type-options") == "nosniff"
    assert "'unsafe-eval'" in reply.header("content-security-policy")


def test_health_and_readiness_through_caddy(stack: Stack, tmp_path: Path) -> None:
    assert curl(stack, "/healthz", tmp=tmp_path).body == b"ok"
    assert curl(stack, "/readyz", tmp=tmp_path).body == b"ready"


def test_the_app_sees_the_host_caddy_forwards(stack: Stack, tmp_path: Path) -> None:
    reply = curl(stack, "/api/whoami", tmp=tmp_path)
    assert reply.status == 200
    assert _json(reply.body)["host"] == HOST


# --- proxy trust ----------------------------------------------------------------------------

SPOOF = ["-H", "X-Forwarded-For: 203.0.113.7", "-H", "Forwarded: for=198.51.100.1;proto=https"]


def test_without_proxy_trust_nothing_is_rewritten(tcp_stack: Stack, tmp_path: Path) -> None:
    # curl connects from 127.0.0.2; Caddy (127.0.0.1) forwards X-Forwarded-Proto: https.
    reply = curl(tcp_stack, "/api/whoami", extra=["--interface", "127.0.0.2", *SPOOF], tmp=tmp_path)
    assert _json(reply.body) == {"host": HOST, "scheme": "http", "client": "127.0.0.1"}


def test_with_proxy_trust_scheme_and_client_come_from_caddy(
    unix_stack: Stack, tmp_path: Path
) -> None:
    reply = curl(
        unix_stack, "/api/whoami", extra=["--interface", "127.0.0.2", *SPOOF], tmp=tmp_path
    )
    # The client's own X-Forwarded-For and Forwarded claims do not survive.
    assert _json(reply.body) == {"host": HOST, "scheme": "https", "client": "127.0.0.2"}


# --- streams ----------------------------------------------------------------------------------


def test_a_datastar_stream_stays_open_and_delivers_every_event_in_order(stack: Stack) -> None:
    argv = curl_argv(stack, f"/clock?limit={TICKS}", http="2", extra=["-N"])
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    events: list[dict[str, str]] = []
    first_at = None
    try:
        assert proc.stdout is not None
        block: dict[str, str] = {}
        for raw in proc.stdout:
            line = raw.decode("utf-8").rstrip("\n")
            if line:
                name, _, value = line.partition(": ")
                block[name] = value
                continue
            events.append(block)
            block = {}
            first_at = first_at or time.monotonic()
        code = proc.wait(BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(BOUND)
    ended = time.monotonic()
    assert code == 0, proc.stderr.read() if proc.stderr else ""
    assert events == [
        {
            "event": "datastar-patch-elements",
            "id": str(n),
            "data": f'elements <span id="clock">{n}</span>',
        }
        for n in range(TICKS)
    ]
    # The app waits 0.5 s between events, so the stream was open at least 10 s ...
    assert ended - started >= (TICKS - 1) * 0.5
    # ... and events were passed on as written, not held back until the end.
    assert first_at is not None
    assert ended - first_at > 5.0


# --- body limits ------------------------------------------------------------------------------


def _upload(stack: Stack, size: int, tmp: Path, *, unsized: str | None = None) -> tuple[int, bytes]:
    """POST `size` bytes to /api/upload: with a Content-Length over HTTP/1.1, or without
    one when `unsized` names the protocol ("1.1": chunked; "2": HTTP/2 DATA frames)."""
    body = tmp / f"body-{size}"
    body.write_bytes(b"x" * size)
    send = ["--data-binary", f"@{body}", "-H", "Content-Type: application/octet-stream"]
    if unsized == "1.1":
        send += ["-H", "Transfer-Encoding: chunked"]
    elif unsized == "2":  # `-H "Content-Length:"` removes the header curl would send
        send = ["-T", str(body), "-X", "POST", "-H", "Content-Length:"]
    # HTTP/1.1 by default: curl reports an HTTP/2 stream reset after an early answer as
    # an error. Without a length Caddy answers only after reading up to its cap.
    reply = curl(stack, "/api/upload", http=unsized or "1.1", extra=send, tmp=tmp)
    return reply.status, reply.body


def test_a_body_within_both_caps_arrives_whole(tcp_stack: Stack, tmp_path: Path) -> None:
    status, body = _upload(tcp_stack, STARIO_BODY_CAP, tmp_path)
    assert status == 200
    assert _json(body) == {
        "bytes": STARIO_BODY_CAP,
        "sha256": hashlib.sha256(b"x" * STARIO_BODY_CAP).hexdigest(),
    }


def test_caddy_rejects_a_body_over_its_cap(tcp_stack: Stack, tmp_path: Path) -> None:
    status, body = _upload(tcp_stack, CADDY_BODY_CAP + 1, tmp_path)
    assert status == 413
    assert body == b""  # Caddy's answer: stario's would say "Payload Too Large"


def test_stario_rejects_a_body_over_its_cap_below_caddys(tcp_stack: Stack, tmp_path: Path) -> None:
    status, body = _upload(tcp_stack, STARIO_BODY_CAP + 1, tmp_path)
    assert (status, body) == (413, b"Payload Too Large")


@pytest.mark.parametrize("size", [CADDY_BODY_CAP, CADDY_BODY_CAP + 1])
@pytest.mark.parametrize("http", ["1.1", "2"])
def test_request_body_caps_a_body_sent_without_a_length(
    unix_stack: Stack, http: str, size: int, tmp_path: Path
) -> None:
    # No Content-Length, so the @too_large matcher cannot see the size: only
    # `request_body { max_size 10MiB }` stands between the body and stario. The Unix
    # stack's stario has the default cap, the same number, so without request_body
    # stario would answer the larger body itself, with its own words.
    status, body = _upload(unix_stack, size, tmp_path, unsized=http)
    if size == CADDY_BODY_CAP:
        assert status == 200
        assert _json(body)["bytes"] == size
    else:
        assert (status, body) == (413, b"")  # Caddy's answer, not stario's


# --- the Unix socket's permissions ------------------------------------------------------------


def test_the_socket_has_the_mode_it_was_given(unix_stack: Stack) -> None:
    path = unix_stack.upstream.removeprefix("unix/")
    mode = os.stat(path).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o660


def test_caddy_as_its_own_user_reaches_the_socket_through_the_group() -> None:
    if os.geteuid() != 0:
        pytest.skip(f"{_SKIP}the permission check runs Caddy as another user, which needs root")
    user = "caddy" if _exists_user("caddy") else "nobody"
    group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    base = Path(tempfile.mkdtemp(prefix="stario-caddy-", dir="/tmp"))
    try:
        base.chmod(0o755)  # Caddy's user must reach its HOME and the socket directory
        run_dir = base / "run" / "stario"
        run_dir.parent.mkdir()
        me = pwd.getpwuid(os.geteuid()).pw_name
        # The recipe in Caddyfile.unix and docs/deployment.md, on a temporary path.
        subprocess.run(
            ["install", "-d", "-o", me, "-g", group, "-m", "2750", str(run_dir)], check=True
        )
        socket_path = run_dir / "app.sock"
        args = ["--unix-socket", str(socket_path), "--unix-socket-mode", "0600"]
        stack = start_stack("unix", base, args, caddy_user=user)
        try:
            info = os.stat(socket_path)
            assert grp.getgrgid(info.st_gid).gr_name == group  # inherited through setgid
            denied = curl(stack, "/healthz", tmp=base)
            socket_path.chmod(0o660)  # what --unix-socket-mode 0660 sets
            allowed = curl(stack, "/healthz", tmp=base)
        finally:
            stack.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert denied.status == 502  # Caddy may not connect to a 0600 socket it does not own
    assert (allowed.status, allowed.body) == (200, b"ok")


def _exists_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _json(body: bytes) -> dict[str, object]:
    import json

    result: dict[str, object] = json.loads(body)
    return result


def test_the_stack_ran_the_shipped_settings(tcp_stack: Stack) -> None:
    # Guard against the test config drifting from the shipped file: only the site,
    # the upstream and the local-only global options may differ.
    config = tcp_stack.caddy.config_path.read_text("utf-8")
    shipped = (DEPLOY_DIR / "Caddyfile.tcp").read_text("utf-8")
    for line in shipped.splitlines():
        if line.strip() and not re.match(r"^(#|example\.com \{|\treverse_proxy )", line):
            assert line in config.splitlines(), line
