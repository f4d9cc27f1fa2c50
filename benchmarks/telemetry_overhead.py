"""Requests/s on the plaintext route with each tracer, as ratios to ``noop``.

Run from the repository root (needs ``wrk``, Debian package ``wrk``):

    .venv/bin/python benchmarks/telemetry_overhead.py [--seconds 8] [--connections 128]

Each tracer gets its own ``stario serve`` process pinned to CPU 0 with ``taskset``;
wrk runs pinned to CPU 1. The json tracer's stdout goes to a file and the sqlite
tracer writes to a temporary database, as they would in production. The result is a
markdown table; only the ratios are comparable between machines.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

APP = """
from stario import App, Context, Span, Writer


async def plaintext(c: Context, w: Writer) -> None:
    w.respond(b"Hello, World!", "text/plain")


async def bootstrap(app: App, span: Span) -> None:
    app.get("/plaintext", plaintext)
"""

TRACERS = ("noop", "json", "sqlite")


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and os.cpu_count() else []


def _start(workdir: Path, tracer: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, STARIO_TRACES_SQLITE=str(workdir / f"traces-{port}.sqlite3"))
    stdout = (workdir / f"stdout-{tracer}.ndjson").open("wb")
    command = [sys.executable, "-m", "stario", "serve", "app:bootstrap", "--port", str(port)]
    return subprocess.Popen(
        [*_pin(0), *command, "--tracer", tracer],
        cwd=workdir,
        env=env,
        stdout=stdout,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/plaintext", timeout=1) as r:
                if r.read() == b"Hello, World!":
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not answer within {timeout} s")


def _wrk(port: int, seconds: int, connections: int) -> float:
    url = f"http://127.0.0.1:{port}/plaintext"
    base = ["wrk", "-t1", f"-c{connections}", "--latency"]
    subprocess.run([*_pin(1), *base, "-d2s", url], capture_output=True, check=True)  # warm-up
    out = subprocess.run(
        [*_pin(1), *base, f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=128)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="stario-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "app.py").write_text(APP)
        for index, tracer in enumerate(TRACERS):
            port = 18600 + index
            proc = _start(workdir, tracer, port)
            try:
                _wait_ready(port)
                results[tracer] = _wrk(port, args.seconds, args.connections)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    base = results["noop"]
    print(
        f"wrk -t1 -c{args.connections} -d{args.seconds}s on /plaintext; "
        "server pinned to CPU 0, wrk to CPU 1\n"
    )
    print("| tracer | requests/s | ratio to noop |")
    print("|---|---:|---:|")
    for tracer, rps in results.items():
        print(f"| {tracer} | {rps:,.0f} | {rps / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
