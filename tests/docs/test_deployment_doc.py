"""``docs/deployment.md``: every command in its ``console`` blocks is run or covered.

Commands that need nothing but stario, curl and Caddy run here, unchanged, from
``examples/deploy`` (``stario`` is started as ``python -m stario`` from this source
tree), and their printed output must match the page. The others (Docker, paths under
``/run``) are played by the tests named in `COVERED`; this file checks those exist.
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stario import App, Context, ServerConfig, Span, Writer, responses
from stario.cli import main
from stario.http.wire import reason_phrase
from stario.testing import TestClient
from tests.e2e.live import BOUND, child_env, port_free

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "deployment.md"
DEPLOY_DIR = REPO / "examples" / "deploy"

# Commands run elsewhere, with the tests that run them (Docker is played without an
# engine; /run/stario becomes a temporary directory).
COVERED: dict[str, list[str]] = {
    "docker build -t stario-deploy .": [
        "tests/examples/test_deploy_image.py::test_the_cmd_answers_on_0_0_0_0_port_8000",
    ],
    'docker run --rm -p 8000:8000 -e APP_TITLE="My shop" stario-deploy': [
        "tests/examples/test_deploy_image.py::test_the_cmd_answers_on_0_0_0_0_port_8000",
        "tests/examples/test_deploy.py::test_the_title_comes_from_the_environment",
    ],
    "caddy run --config Caddyfile.tcp --adapter caddyfile": [
        "tests/integration/caddy/test_caddy.py::test_the_page_loads_over_https_with_http2",
        "tests/integration/caddy/test_caddy.py::test_the_stack_ran_the_shipped_settings",
    ],
    "stario serve main:bootstrap --unix-socket /run/stario/app.sock --unix-socket-mode 0660 "
    "--tracer json": [
        "tests/integration/caddy/test_caddy.py::test_the_socket_has_the_mode_it_was_given",
    ],
    "install -d -o app -g caddy -m 2750 /run/stario": [
        "tests/integration/caddy/test_caddy.py::"
        "test_caddy_as_its_own_user_reaches_the_socket_through_the_group",
    ],
    "stario serve main:bootstrap --unix-socket /run/stario/app.sock --tracer json "
    "--forwarded-allow-ips unix": [
        "tests/integration/caddy/test_caddy.py::"
        "test_with_proxy_trust_scheme_and_client_come_from_caddy",
    ],
}


@dataclass
class Command:
    """One ``$ ...`` line of a console block and the output shown under it."""

    line: str
    output: list[str] = field(default_factory=list)

    @property
    def argv(self) -> list[str]:
        """The words after any leading ``NAME=value`` assignments."""
        return shlex.split(self.line)[len(self.env) :]

    @property
    def env(self) -> dict[str, str]:
        """The leading ``NAME=value`` assignments, as the shell would export them."""
        env: dict[str, str] = {}
        for word in shlex.split(self.line):
            if not re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", word):
                break
            name, _, value = word.partition("=")
            env[name] = value
        return env


def commands() -> list[Command]:
    """Every command in the page's console blocks, continuation lines joined."""
    out: list[Command] = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL):
        pending = ""
        for line in block.splitlines():
            if pending:
                pending += " " + line.strip()
            elif line.startswith("$ "):
                pending = line[2:].strip()
            elif out and line.strip():
                out[-1].output.append(line)
                continue
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip()
            elif pending:
                out.append(Command(" ".join(pending.split())))
                pending = ""
    return out


def _runnable(cmd: Command) -> bool:
    return cmd.line not in COVERED


# --- coverage --------------------------------------------------------------------------------


def test_the_page_has_commands() -> None:
    lines = [c.line for c in commands()]
    assert "stario serve main:bootstrap --host 127.0.0.1 --port 8000 --tracer json" in lines
    assert len(lines) == len(set(lines)), "a command appears twice"


def test_every_command_is_run_here_or_covered_by_a_named_test() -> None:
    lines = {c.line for c in commands()}
    assert set(COVERED) <= lines, f"stale entries: {set(COVERED) - lines}"
    for cmd in commands():
        if _runnable(cmd):
            assert cmd.argv[0] in ("stario", "curl", "caddy"), cmd.line
            assert cmd.argv[:2] != ["caddy", "run"], "caddy run must be covered by a test"


@pytest.mark.parametrize("node", sorted({n for nodes in COVERED.values() for n in nodes}))
def test_the_covering_tests_exist(node: str) -> None:
    path, _, name = node.partition("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, name, None)), node


# --- running ---------------------------------------------------------------------------------


def _python_argv(argv: list[str]) -> list[str]:
    return [sys.executable, "-m", "stario", *argv[1:]] if argv[0] == "stario" else argv


def test_the_check_command_prints_what_the_page_shows() -> None:
    [cmd] = [c for c in commands() if "--check" in c.argv]
    done = subprocess.run(
        _python_argv(cmd.argv),
        cwd=DEPLOY_DIR,
        env={**child_env(), **cmd.env},
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == cmd.output


def test_the_caddy_commands_validate(tmp_path: Path) -> None:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("CADDY COMMANDS NOT RUN: no caddy on PATH; run scripts/install-caddy")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    for cmd in commands():
        if cmd.argv[0] == "caddy" and _runnable(cmd):
            done = subprocess.run(
                cmd.argv, cwd=DEPLOY_DIR, env=env, capture_output=True, text=True,
                timeout=BOUND, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr


def _probe_forwarded(cmd: Command) -> None:
    # The trusted-proxy lines must actually trust 127.0.0.1 (this test's address).
    if "--forwarded-allow-ips" not in cmd.argv and "STARIO_FORWARDED_ALLOW_IPS" not in cmd.env:
        return
    request = urllib.request.Request(
        "http://127.0.0.1:8000/api/whoami",
        headers={"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"},
    )
    with urllib.request.urlopen(request, timeout=BOUND) as response:
        got = json.loads(response.read())
    assert (got["scheme"], got["client"]) == ("https", "203.0.113.5")


def _body_cap(cmd: Command) -> int:
    """The body cap `cmd` starts stario with: its flag, else its variable, else the default."""
    flag = "--max-request-body-bytes"
    if flag in cmd.argv:
        return int(cmd.argv[cmd.argv.index(flag) + 1])
    if "STARIO_MAX_REQUEST_BODY_BYTES" in cmd.env:
        return int(cmd.env["STARIO_MAX_REQUEST_BODY_BYTES"])
    return ServerConfig().max_request_body_bytes


def _post(length: int, body: bytes | None) -> tuple[int, bytes]:
    """POST /api/upload declaring `length`; `body` None sends the head alone."""
    conn = http.client.HTTPConnection("127.0.0.1", 8000, timeout=BOUND)
    try:
        conn.putrequest("POST", "/api/upload")
        conn.putheader("Content-Length", str(length))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _probe_body_cap(cmd: Command) -> None:
    # The cap each command sets (1 MiB through the environment, 10 MiB by flag or
    # default) is the one stario enforces: exactly the cap arrives, one byte more is
    # answered 413 from the declared length alone, before any of the body is sent.
    cap = _body_cap(cmd)
    status, body = _post(cap, b"x" * cap)
    assert (status, json.loads(body)["bytes"]) == (200, cap), cmd.line
    assert _post(cap + 1, None) == (413, b"Payload Too Large"), cmd.line


@pytest.mark.slow
def test_the_server_commands_run_and_answer_the_curl_commands(tmp_path: Path) -> None:
    servers = [
        c for c in commands() if _runnable(c) and c.argv[0] == "stario" and "--check" not in c.argv
    ]
    curls = [c for c in commands() if c.argv[0] == "curl"]
    assert servers
    assert curls
    if shutil.which("curl") is None:
        pytest.skip("DOC COMMANDS NOT RUN: no curl on PATH")
    if not port_free(8000):
        pytest.skip("PORT 8000 IS BUSY: the page's server commands use port 8000 and were NOT run")
    for n, cmd in enumerate(servers):
        _run_server(cmd, curls, tmp_path / f"server-{n}")


def _run_server(cmd: Command, curls: list[Command], tmp: Path) -> None:
    tmp.mkdir()
    env = {**child_env(), **cmd.env}
    with (tmp / "out").open("wb") as out:
        # Own session: `stario watch` has a child, and cleanup must reach both.
        child = subprocess.Popen(
            _python_argv(cmd.argv), cwd=DEPLOY_DIR, env=env, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=_pump, args=(child, lines), daemon=True)
        reader.start()
        try:
            _wait_listening(lines, cmd)
            for probe in curls:
                done = subprocess.run(
                    probe.argv, capture_output=True, text=True, timeout=BOUND, check=False
                )
                assert done.returncode == 0, f"{probe.line} under {cmd.line}: {done.stderr}"
                assert done.stdout.splitlines() == probe.output, probe.line
            _probe_forwarded(cmd)
            _probe_body_cap(cmd)
            child.send_signal(signal.SIGTERM)
            assert child.wait(BOUND) == 0, cmd.line
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(BOUND)
            reader.join(BOUND)
            if child.stderr is not None:
                child.stderr.close()


def _pump(child: subprocess.Popen[bytes], lines: queue.Queue[str | None]) -> None:
    assert child.stderr is not None
    for raw in child.stderr:
        lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
    lines.put(None)


def _wait_listening(lines: queue.Queue[str | None], cmd: Command) -> None:
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=BOUND)
        except queue.Empty:
            raise AssertionError(f"{cmd.line}: not listening within {BOUND} s: {seen}") from None
        if line is None:
            raise AssertionError(f"{cmd.line} exited before listening: {seen}")
        seen.append(line)
        if re.fullmatch(r"stario: listening on http://[0-9.]+:8000", line):
            return


# --- the limits table ------------------------------------------------------------------------


def limits_table() -> list[list[str]]:
    """The rows of the table in "## 7. Limits", cells stripped, header and rule dropped."""
    section = DOC.read_text("utf-8").split("## 7. Limits", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_the_limits_table_states_the_servers_defaults_and_answers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    defaults = ServerConfig()
    statuses = []
    for _what, flag, default, violation in limits_table():
        if flag == "fixed":
            field_name = "body_read_timeout"  # no flag: the guide fixes it
        else:
            option = flag.strip("`")
            assert f"{option} " in help_text, option
            field_name = option.removeprefix("--").replace("-", "_")
        assert float(default.split()[0]) == getattr(defaults, field_name), (flag, default)
        status = re.match(r"(\d{3}) ([^,]+)", violation)
        if status:
            code = int(status[1])
            statuses.append(code)
            assert status[2] == reason_phrase(code), violation  # the words on the status line
    assert statuses == [431, 413, 408]
    assert defaults.body_read_timeout == 30.0


# --- the Python snippets ---------------------------------------------------------------------


def python_block(marker: str) -> str:
    """The one ``python`` block of the page that contains `marker`."""
    blocks: list[str] = re.findall(r"```python\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)
    [block] = [b for b in blocks if marker in b]
    return block


async def test_the_health_and_readiness_pattern_works_as_shown() -> None:
    names: dict[str, object] = {
        "App": App, "Context": Context, "Span": Span, "Writer": Writer, "responses": responses,
    }  # fmt: skip
    exec(compile(python_block("async def readyz"), str(DOC), "exec"), names)
    bootstrap = names["bootstrap"]
    assert callable(bootstrap)
    async with TestClient(bootstrap) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        client.app.begin_shutdown()  # what SIGTERM does first
        draining = await client.get("/readyz")
    assert (health.status_code, health.text) == (200, "ok")
    assert (ready.status_code, ready.text) == (200, "ready")
    assert (draining.status_code, draining.text) == (503, "draining")


async def test_the_security_headers_snippet_sends_what_the_page_says() -> None:
    app = App()
    exec(compile(python_block("security_headers("), str(DOC), "exec"), {"app": app})

    async def page(c: Context, w: Writer) -> None:
        responses.text(w, "hi")

    app.get("/", page)
    async with TestClient(app) as client:
        response = await client.get("/")
    assert {name: response.headers.get(name) for name in SNIPPET_HEADERS} == SNIPPET_HEADERS


SNIPPET_HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "permissions-policy": None,  # off until passed, as the page says
}
