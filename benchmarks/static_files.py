"""Static file requests/s: stario against Starlette (uvicorn) and Sanic, in one run.

Run from the repository root (needs ``wrk``, and the peers: ``pip install starlette
uvicorn sanic``):

    .venv/bin/python benchmarks/static_files.py [--seconds 8] [--connections 64]

Two files are fetched: a 4 KiB CSS file and a 1 MiB binary file, without
``Accept-Encoding`` so every server sends the bytes as they are on disk. Each server
runs alone, pinned to CPU 0 with ``taskset``; wrk runs pinned to CPU 1. stario serves
an ``AssetManifest`` (fingerprinted URLs), Starlette a ``StaticFiles`` mount on uvicorn
(httptools, uvloop), Sanic ``app.static`` in a single process. The result is a
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
from pathlib import Path

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


# Each server with its production settings; "{port}" is filled in per run.
COMMANDS = {
    "stario": "-m stario serve stario_app:bootstrap --port {port} --tracer noop",
    "starlette (uvicorn)": "-m uvicorn starlette_app:app --port {port} --log-level warning"
    " --no-access-log --loop uvloop --http httptools",
    "sanic": "-m sanic sanic_app:app --port {port} --single-process --no-access-logs --no-motd",
}


def _command(server: str, port: int) -> list[str]:
    return [sys.executable, *COMMANDS[server].format(port=port).split()]


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
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
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


def _wrk(url: str, seconds: int, connections: int) -> float:
    base = ["wrk", "-t1", f"-c{connections}"]
    subprocess.run([*_pin(1), *base, "-d2s", url], capture_output=True, check=True)  # warm-up
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
    command = _command(server, port)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen(
        [*_pin(0), *command],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        urls = _urls(workdir, server)
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base + urls["css"])
        return {
            label: _wrk(base + url, args.seconds, args.connections) for label, url in urls.items()
        }
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="stario-bench-static-") as tmp:
        workdir = Path(tmp)
        _write_files(workdir)
        for index, server in enumerate(COMMANDS):
            results[server] = _run(workdir, server, 18700 + index, args)
    base = results["stario"]
    print(
        f"wrk -t1 -c{args.connections} -d{args.seconds}s, no Accept-Encoding; "
        "server pinned to CPU 0, wrk to CPU 1\n"
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
