"""``--forwarded-allow-ips`` / ``STARIO_FORWARDED_ALLOW_IPS``: parsing, precedence, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from stario.cli import UsageError, build_config
from stario.config import ServerConfig
from tests.e2e.live import BOUND, StarioProcess

APP = ["serve", "main:bootstrap"]


def test_off_by_default() -> None:
    assert build_config(APP, {}).forwarded_allow_ips is None


@pytest.mark.parametrize(
    ("raw", "spec"),
    [
        ("127.0.0.1", "127.0.0.1/32"),
        ("10.0.0.0/8, unix", "unix, 10.0.0.0/8"),
        ("*", "*"),
        ("::1,fd00::/8", "::1/128, fd00::/8"),
    ],
)
def test_the_flag_sets_the_config(raw: str, spec: str) -> None:
    config = build_config([*APP, "--forwarded-allow-ips", raw], {})
    assert config.forwarded_allow_ips == spec


def test_flag_beats_env_and_env_beats_default() -> None:
    env = {"STARIO_FORWARDED_ALLOW_IPS": "unix"}
    assert build_config(APP, env).forwarded_allow_ips == "unix"
    flagged = build_config([*APP, "--forwarded-allow-ips", "10.0.0.1"], env)
    assert flagged.forwarded_allow_ips == "10.0.0.1/32"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--forwarded-allow-ips", "proxy.internal"],
            {},
            "--forwarded-allow-ips must be IP addresses, CIDR networks, * or unix, separated "
            "by commas; 'proxy.internal' is none of these (got 'proxy.internal')",
        ),
        (
            ["--forwarded-allow-ips", "10.1.2.3/8"],
            {},
            "--forwarded-allow-ips must be IP addresses, CIDR networks, * or unix, separated "
            "by commas; '10.1.2.3/8' has host bits set (got '10.1.2.3/8')",
        ),
        (
            [],
            {"STARIO_FORWARDED_ALLOW_IPS": "10.0.0.1,,unix"},
            "STARIO_FORWARDED_ALLOW_IPS=10.0.0.1,,unix: --forwarded-allow-ips must be IP "
            "addresses, CIDR networks, * or unix, separated by commas; found an empty entry",
        ),
    ],
)
def test_bad_values_name_the_option(args: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        build_config([*APP, *args], env)
    assert str(info.value) == message


def test_code_can_set_the_field_directly() -> None:
    assert ServerConfig(forwarded_allow_ips="unix").forwarded_allow_ips == "unix"


@pytest.mark.slow
def test_bad_value_exits_2_with_one_line(tmp_path: Path, child_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stario", *APP, "--forwarded-allow-ips", "nope"],
        cwd=tmp_path,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("stario: error: --forwarded-allow-ips must be ")
    assert done.stderr.count("\n") == 1


WHOAMI = """
from stario import responses

async def who(c, w):
    responses.json(w, {"scheme": c.req.scheme, "client": c.req.client})

async def bootstrap(app, span):
    app.get("/who", who)
    yield
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("trust", "expected"),
    [
        (None, {"scheme": "http", "client": "127.0.0.1"}),
        ("10.0.0.0/8", {"scheme": "http", "client": "127.0.0.1"}),
        ("127.0.0.1", {"scheme": "https", "client": "203.0.113.9"}),
    ],
)
def test_the_flag_reaches_a_real_server(
    tmp_path: Path, trust: str | None, expected: dict[str, str]
) -> None:
    (tmp_path / "main.py").write_text(WHOAMI)
    flag = [] if trust is None else ["--forwarded-allow-ips", trust]
    proc = StarioProcess(["main:bootstrap", "--port", "0", *flag], tmp_path, tmp_path / "out")
    try:
        port = proc.wait_listening()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/who",
            headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(request, timeout=BOUND) as response:
            got = json.loads(response.read())
    finally:
        proc.stop()
    assert got == expected
