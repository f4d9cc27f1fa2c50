"""Static file requests/s: stario against Starlette (uvicorn) and Sanic, in one run.

Run from the repository root with the project's environment (needs ``wrk``):

    .venv/bin/python benchmarks/static_files.py [--seconds 5] [--connections 64]

Two files are fetched: a 4 KiB CSS file and a 1 MiB binary file, without
``Accept-Encoding`` so every server sends the bytes as they are on disk. stario serves
an ``AssetManifest`` (fingerprinted URLs) from the project's environment; Starlette a
``StaticFiles`` mount on uvicorn (httptools, uvloop) and Sanic ``app.static`` in a
single process, each from its own environment in ``benchmarks/.venvs`` (built from
``benchmarks/requirements`` on first use, as ``run.py`` does). Before it is measured,
every server must answer both files with 200 and their exact bytes. Each server runs
alone, pinned to CPU 0 with ``taskset``; wrk runs pinned to CPU 1. The result is a
markdown table; only the ratios are comparable between machines.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from suite.paths import ROOT
from suite.targets import BY_NAME, ensure_venv

STARIO_APP = """
from stario import App, Span
from stario.static import AssetManifest, StaticAssets


async def bootstrap(app: App, span: Span) -> None:
    StaticAssets(AssetManifest("files")).register(app)
"""

STARLETTE_APP = """
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

app = Starlette(routes=[Mount("/static", StaticFiles(directory="files"))])
"""

SANIC_APP = """
from sanic import Sanic

app = Sanic("bench")
app.static("/static", "files")
"""

FILES = {"css": "app.css", "1 MiB": "big.bin"}


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") else []


def _stario(port: int) -> list[str]:
    return [
        sys.executable,
        *("-m", "stario", "serve", "stario_app:bootstrap", "--host", "127.0.0.1"),
        *("--port", str(port), "--tracer", "noop", "--loop", "uvloop"),
    ]


def _starlette(port: int) -> list[str]:
    python = BY_NAME["starlette-uvicorn"].bin_dir() / "python"
    return [
        str(python),
        *("-m", "uvicorn", "starlette_app:app", "--host", "127.0.0.1", "--port", str(port)),
        *("--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"),
    ]


def _sanic(port: int) -> list[str]:
    python = BY_NAME["sanic"].bin_dir() / "python"
    return [
        str(python),
        *("-m", "sanic", "sanic_app:app", "--host", "127.0.0.1", "--port", str(port)),
        *("--single-process", "--no-access-logs", "--no-motd"),
    ]


# Each server with its production settings, and the suite's environment it runs in
# (None: the project's own).
SERVERS: dict[str, tuple[Callable[[int], list[str]], str | None]] = {
    "stario": (_stario, None),
    "starlette (uvicorn)": (_starlette, "starlette-uvicorn"),
    "sanic": (_sanic, "sanic"),
}


def _write_files(workdir: Path) -> None:
    files = workdir / "files"
    files.mkdir()
    rule = ".card { display: flex; padding: 8px 12px; color: #1f2328; }\n"
    (files / "app.css").write_text((rule * 80)[:4096])
    (files / "big.bin").write_bytes(random.Random(0).randbytes(1024 * 1024))
    (workdir / "stario_app.py").write_text(STARIO_APP)
    (workdir / "starlette_app.py").write_text(STARLETTE_APP)
    (workdir / "sanic_app.py").write_text(SANIC_APP)


def _urls(workdir: Path, server: str) -> dict[str, str]:
    if server != "stario":
        return {label: f"/static/{name}" for label, name in FILES.items()}
    sys.path.insert(0, str(ROOT / "src"))
    from stario.static import AssetManifest

    manifest = AssetManifest(workdir / "files", precompress=False)
    return {label: manifest.href(name) for label, name in FILES.items()}


def _wait_ready(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _check(url: str, expected: bytes) -> None:
    """The server sends the file's exact bytes, unencoded, with a 200."""
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read()
        encoding = response.headers.get("content-encoding")
        if response.status != 200 or encoding is not None or body != expected:
            raise RuntimeError(
                f"{url}: status {response.status}, content-encoding {encoding},"
                f" {len(body)} bytes; expected 200 with the {len(expected)} bytes on disk"
            )


def _wrk(url: str, seconds: int, connections: int) -> float:
    base = ["wrk", "-t1", f"-c{connections}"]
    subprocess.run([*_pin(1), *base, "-d1s", url], capture_output=True, check=True)  # warm-up
    out = subprocess.run(
        [*_pin(1), *base, f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    return float(match.group(1))


def _run(workdir: Path, server: str, port: int, args: argparse.Namespace) -> dict[str, float]:
    command, venv = SERVERS[server]
    env = dict(os.environ)
    if venv is None:  # stario from this checkout
        env["PYTHONPATH"] = str(ROOT / "src")
    proc = subprocess.Popen(
        [*_pin(0), *command(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        urls = _urls(workdir, server)
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base + urls["css"])
        for label, name in FILES.items():
            _check(base + urls[label], (workdir / "files" / name).read_bytes())
        return {
            label: _wrk(base + url, args.seconds, args.connections) for label, url in urls.items()
        }
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    for _, venv in SERVERS.values():
        if venv is not None:
            ensure_venv(BY_NAME[venv], log=lambda line: print(line, file=sys.stderr))
    load_before = os.getloadavg()[0]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="stario-bench-static-") as tmp:
        workdir = Path(tmp)
        _write_files(workdir)
        for index, server in enumerate(SERVERS):
            results[server] = _run(workdir, server, 18700 + index, args)
    base = results["stario"]
    print(
        f"wrk -t1 -c{args.connections} -d{args.seconds}s, no Accept-Encoding; "
        "server pinned to CPU 0, wrk to CPU 1; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after\n"
    )
    print("| server | 4 KiB CSS req/s | ratio | 1 MiB file req/s | ratio |")
    print("|---|---:|---:|---:|---:|")
    for server, row in results.items():
        css, big = row["css"], row["1 MiB"]
        print(
            f"| {server} | {css:,.0f} | {css / base['css']:.2f} "
            f"| {big:,.0f} | {big / base['1 MiB']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
