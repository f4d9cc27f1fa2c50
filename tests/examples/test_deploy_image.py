"""The deploy example's Dockerfile, played without Docker (slow: builds and installs).

A wheel of this project is built and installed into a fresh virtual environment (the
image's Python), the files the Dockerfile copies go to a work directory (``/app``),
its ``pip install`` steps run there with its ``ENV``, and then its ``CMD``, parsed from
the Dockerfile, runs unchanged: it must answer on 0.0.0.0:8000. Port 8000 is fixed by
the Dockerfile, so when something else holds it the test says so and skips.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.children import project_copy
from tests.e2e.live import port_free
from tests.examples.test_deploy import DEPLOY_DIR, SERVE_CMD, instructions

pytestmark = pytest.mark.slow

BOUND = 30.0  # seconds for one process step; pip may download
PIP_TIMEOUT = 300.0
_NETWORK = ("Could not find a version", "No matching distribution", "Failed to establish")


@dataclass
class Image:
    """The virtual environment and work directory standing in for the image."""

    venv: Path
    app: Path
    env: dict[str, str]

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        if any(sign in output for sign in _NETWORK):
            pytest.skip(f"DEPLOY IMAGE TEST SKIPPED: pip could not reach an index: {output[-500:]}")
        pytest.fail(f"{shlex.join(argv)} failed ({done.returncode}):\n{output[-3000:]}")


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in instructions("ENV"):
        for pair in shlex.split(args):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    root = tmp_path_factory.mktemp("image")
    dist = root / "dist"
    # Pure Python, as in the slim image (no C compiler); built from a copy of the tree.
    project = project_copy(root / "project")
    pure = {**os.environ, "STARIO_COMPILE": "0"}
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(project)],
        root,
        pure,
    )
    [wheel] = dist.glob("stario-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], root)
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith("STARIO_") and k != "PYTHONPATH"
    }
    env = {
        **base_env,
        **_dockerfile_env(),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], root, env)
    app = root / "app"  # WORKDIR /app
    app.mkdir()
    for copy in instructions("COPY"):
        *sources, _dest = copy.split()
        for source in sources:
            shutil.copy2(DEPLOY_DIR / source, app / source)
    for run in instructions("RUN"):
        argv = shlex.split(run)
        if argv[0] == "useradd":
            continue  # creating a system user is the one step not played here
        assert argv[0] == "pip", f"unexpected RUN step: {run}"
        _run([str(venv / "bin" / "pip"), *argv[1:]], app, env)
    return Image(venv, app, env)


def test_the_image_runs_this_project_not_another_stario(image: Image) -> None:
    probe = (
        "import importlib.metadata as m, stario.middleware as s; "
        "print(m.version('stario'), s.__file__)"
    )
    done = subprocess.run(
        [image.bin("python"), "-c", probe],
        cwd=image.app,
        env=image.env,
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=True,
    )
    version, path = done.stdout.split()
    assert version == "0.1.0"
    assert path.startswith(str(image.venv))


def _get(path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:8000{path}", timeout=BOUND) as response:
        return response.status, response.read()


def test_the_cmd_answers_on_0_0_0_0_port_8000(image: Image) -> None:
    [cmd] = instructions("CMD")
    argv = json.loads(cmd)
    assert argv == SERVE_CMD
    if not port_free(8000):
        pytest.skip(
            "PORT 8000 IS BUSY: the Dockerfile's CMD binds 0.0.0.0:8000 and was NOT run; "
            "stop whatever listens there and run this test again"
        )
    stdout = image.app.parent / "stdout.ndjson"
    with stdout.open("wb") as out:
        proc = subprocess.Popen(
            [image.bin(argv[0]), *argv[1:]],
            cwd=image.app,
            env=image.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
        try:
            assert _next_line(lines) == "stario: listening on http://0.0.0.0:8000"
            health = _get("/healthz")
            page = _get("/")
            healthcheck = _healthcheck(image)
            proc.send_signal(signal.SIGTERM)  # what `docker stop` sends
            code = proc.wait(BOUND)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(BOUND)
    assert health == (200, b"ok")
    assert page[0] == 200
    assert b"stario deploy example" in page[1]
    assert healthcheck == 0
    assert code == 0
    spans = [json.loads(line) for line in stdout.read_text("utf-8").splitlines() if line]
    paths = [s["attributes"].get("request.path") for s in spans]
    assert "/healthz" in paths
    assert "/" in paths


def _pump(proc: subprocess.Popen[bytes], lines: queue.Queue[str | None]) -> None:
    assert proc.stderr is not None
    for raw in proc.stderr:
        lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
    lines.put(None)


def _next_line(lines: queue.Queue[str | None]) -> str | None:
    try:
        return lines.get(timeout=BOUND)
    except queue.Empty:
        return None


def _healthcheck(image: Image) -> int:
    """Run the Dockerfile's HEALTHCHECK command; its exit code."""
    [check] = instructions("HEALTHCHECK")
    exec_form = check[check.index("CMD ") + 4 :]
    argv = json.loads(exec_form)
    assert argv[0] == "python"
    return subprocess.run(
        [image.bin("python"), *argv[1:]], env=image.env, timeout=BOUND, check=False
    ).returncode
