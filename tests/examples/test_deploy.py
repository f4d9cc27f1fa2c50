"""``examples/deploy``: the app through TestClient, and what its Dockerfile, .dockerignore
and Caddyfiles promise, read as files. The image itself is exercised in
``test_deploy_image.py``; the Caddyfiles run with a real Caddy in ``tests/integration/caddy``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from stario import ServerConfig
from stario.testing import TestClient

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "examples" / "deploy"
SERVE_CMD = [
    "stario", "serve", "main:bootstrap", "--host", "0.0.0.0", "--port", "8000", "--tracer", "json",
]  # fmt: skip


def load_deploy() -> ModuleType:
    """Import examples/deploy/main.py under its own name, leaving no __pycache__ behind."""
    spec = importlib.util.spec_from_file_location("stario_example_deploy", DEPLOY_DIR / "main.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


deploy = load_deploy()


@pytest.fixture(autouse=True)
def _fast_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "TICK_SECONDS", 0.0)
    monkeypatch.delenv("APP_TITLE", raising=False)


# --- the app ---------------------------------------------------------------------------------


async def test_the_page_loads_datastar_and_opens_the_clock() -> None:
    async with TestClient(deploy.bootstrap) as client:
        response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>stario deploy example</title>" in response.text
    assert "data-init=\"@get('/clock')\"" in response.text
    assert deploy.DATASTAR_URL in response.text


async def test_the_title_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_TITLE", "Shop <beta>")
    async with TestClient(deploy.bootstrap) as client:
        response = await client.get("/")
    assert "<title>Shop &lt;beta&gt;</title>" in response.text


async def test_security_headers_are_on_every_response() -> None:
    async with TestClient(deploy.bootstrap) as client:
        page = await client.get("/")
        missing = await client.get("/nope")
    for response in (page, missing):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        csp = headers["content-security-policy"]
        assert "'unsafe-eval'" in csp  # Datastar needs it
        assert "frame-ancestors 'none'" in csp
    assert missing.status_code == 404


async def test_health_and_readiness() -> None:
    async with TestClient(deploy.bootstrap) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        client.app.begin_shutdown()  # what the server does first on SIGTERM
        draining = await client.get("/readyz")
        still_alive = await client.get("/healthz")
    assert (health.status_code, health.text) == (200, "ok")
    assert (ready.status_code, ready.text) == (200, "ready")
    assert (draining.status_code, draining.text) == (503, "draining")
    assert (still_alive.status_code, still_alive.text) == (200, "ok")


async def test_the_clock_streams_datastar_events_in_order() -> None:
    clock = {"limit": "4"}
    async with (
        TestClient(deploy.bootstrap) as client,
        client.stream("GET", "/clock", params=clock) as response,
    ):
        raw = b"".join([chunk async for chunk in response.iter_bytes()])
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert raw == b"".join(
        b'event: datastar-patch-elements\nid: %d\ndata: elements <span id="clock">%d</span>\n\n'
        % (n, n)
        for n in range(4)
    )


async def test_the_clock_runs_until_the_client_leaves() -> None:
    ids = []
    async with (
        TestClient(deploy.bootstrap) as client,
        client.stream("GET", "/clock") as response,
    ):
        async for event in response.iter_events():
            assert event.event == "datastar-patch-elements"
            ids.append(int(event.id))
            if len(ids) == 25:
                break
    assert ids == list(range(25))
    [span] = [s for s in client.tracer.spans if s.attributes.get("request.path") == "/clock"]
    ticks = span.attributes["clock.ticks"]
    assert isinstance(ticks, int)
    assert ticks >= 25


async def test_the_clock_ends_when_the_server_drains() -> None:
    async with (
        TestClient(deploy.bootstrap) as client,
        client.stream("GET", "/clock") as response,
    ):
        events = response.iter_events()
        first = await anext(events)
        client.app.begin_shutdown()
        rest = [event async for event in events]
    assert first.id == "0"
    assert all(e.event == "datastar-patch-elements" for e in rest)


async def test_upload_reads_the_body() -> None:
    body = b"note: hello" * 1000
    async with TestClient(deploy.bootstrap) as client:
        response = await client.post("/api/upload", content=body)
    assert response.status_code == 200
    assert response.json() == {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}


async def test_upload_over_the_body_cap_is_413() -> None:
    config = ServerConfig(max_request_body_bytes=1024)
    async with TestClient(deploy.bootstrap, config=config) as client:
        small = await client.post("/api/upload", content=b"x" * 1024)
        large = await client.post("/api/upload", content=b"x" * 1025)
    assert small.status_code == 200
    assert (large.status_code, large.text) == (413, "Payload Too Large")


async def test_whoami_reports_what_the_app_sees() -> None:
    async with TestClient(deploy.bootstrap, client=("10.1.2.3", 5555)) as client:
        response = await client.get(
            "/api/whoami", headers={"Host": "Shop.Example:8443", "X-Forwarded-Proto": "https"}
        )
    assert response.json() == {"host": "shop.example", "scheme": "http", "client": "10.1.2.3"}


# --- the Dockerfile and .dockerignore --------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined, comments dropped."""
    text = (DEPLOY_DIR / "Dockerfile").read_text("utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, args = line.partition(" ")
            out.append((name.upper(), args.strip()))
    return out


def instructions(name: str) -> list[str]:
    return [args for instr, args in dockerfile() if instr == name]


def test_dockerfile_has_one_clear_cmd() -> None:
    import json

    [cmd] = instructions("CMD")
    assert json.loads(cmd) == SERVE_CMD
    assert instructions("ENTRYPOINT") == []


def test_dockerfile_uses_a_slim_python_base() -> None:
    [base] = instructions("FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base), base


def test_dockerfile_installs_the_app_with_pip_and_runs_as_a_user() -> None:
    steps = [instr for instr, _ in dockerfile()]
    runs = instructions("RUN")
    assert "pip install --no-cache-dir ." in runs
    [user] = instructions("USER")
    assert user not in ("root", "0")
    # The user exists before USER, and USER comes after every install step.
    assert any(re.search(rf"useradd .*\b{user}$", run) for run in runs)
    assert steps.index("USER") > max(i for i, s in enumerate(steps) if s == "RUN")
    assert instructions("EXPOSE") == ["8000"]
    [env] = instructions("ENV")
    assert "PYTHONUNBUFFERED=1" in env


def test_dockerfile_copies_only_what_pip_needs() -> None:
    [copy] = instructions("COPY")
    *sources, dest = copy.split()
    assert dest == "./"
    for source in sources:
        assert (DEPLOY_DIR / source).is_file()
    assert "pyproject.toml" in sources


def dockerignore() -> set[str]:
    return {
        line.strip()
        for line in (DEPLOY_DIR / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    assert {".venv", ".git", "**/__pycache__", "*.sqlite3"} <= dockerignore()


def test_dockerignore_keeps_what_the_dockerfile_copies() -> None:
    from fnmatch import fnmatch

    [copy] = instructions("COPY")
    *sources, _dest = copy.split()
    for source in sources:
        assert not any(fnmatch(source, pattern) for pattern in dockerignore()), source


def test_the_app_depends_on_stario() -> None:
    import tomllib

    project = tomllib.loads((DEPLOY_DIR / "pyproject.toml").read_text("utf-8"))["project"]
    assert any(dep.startswith("stario") for dep in project["dependencies"])
    assert project["requires-python"] == ">=3.11"


# --- the Caddyfiles --------------------------------------------------------------------------


def caddyfile(kind: str) -> str:
    return (DEPLOY_DIR / f"Caddyfile.{kind}").read_text("utf-8")


def _body(text: str) -> str:
    """The configuration without the leading comment block and the upstream line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    return "\n".join(line for line in lines[start:] if "reverse_proxy" not in line)


def test_tcp_and_unix_caddyfiles_differ_only_in_the_upstream() -> None:
    assert "\treverse_proxy 127.0.0.1:8000 {" in caddyfile("tcp")
    assert "\treverse_proxy unix//run/stario/app.sock {" in caddyfile("unix")
    assert _body(caddyfile("tcp")) == _body(caddyfile("unix"))


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_the_body_cap_matches_stario_default(kind: str) -> None:
    text = caddyfile(kind)
    cap = ServerConfig().max_request_body_bytes
    [max_size] = re.findall(r"max_size (\d+)MiB", text)
    assert int(max_size) * 1024 * 1024 == cap
    [threshold] = re.findall(r"int\(\{http\.request\.header\.Content-Length\}\) > (\d+)", text)
    assert int(threshold) == cap
    assert "respond @too_large 413" in text


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_the_guide_security_headers_are_set_as_defaults(kind: str) -> None:
    text = caddyfile(kind)
    for name in (
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Permissions-Policy",
    ):
        # `?` (set only when missing) keeps whatever the app decided.
        assert re.search(rf"^\theader \?{name} \"[^\"]+\"$", text, re.MULTILINE), name


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_nothing_cuts_long_streams(kind: str) -> None:
    text = caddyfile(kind)
    assert "flush_interval -1" in text
    settings = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    for cutting in ("read_body", "write", "read_timeout", "response_header_timeout"):
        assert not any(s.split(" ")[0] == cutting for s in settings), cutting
    # Caddy must drop idle upstream connections before stario's keep-alive timeout does.
    [keepalive] = re.findall(r"keepalive (\d+)s", text)
    assert int(keepalive) < ServerConfig().keep_alive_timeout
