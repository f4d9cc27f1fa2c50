"""Requests/s on the plaintext route with each tracer, as ratios to ``noop``.

Run from the repository root (needs ``wrk``, Debian package ``wrk``):

    .venv/bin/python benchmarks/telemetry_overhead.py [--seconds 4] [--connections 128] [--rounds 7]

Each tracer gets its own ``stario serve`` process pinned to CPU 0 with ``taskset``;
wrk runs pinned to CPU 1. The json tracer's stdout goes to a file and the sqlite
tracer writes to a temporary database, as they would in production. The servers run
side by side and wrk visits them in turn, round after round. A tracer's ratio is the
median over the rounds of its requests/s divided by noop's in the same round: a burst
of load from elsewhere (a shared virtual machine has many) spoils one round, not the
result. The table also gives each tracer's best round and the server's CPU time per
request (median), writer thread included. Only the ratios compare between machines.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
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
        stderr=(workdir / f"stderr-{tracer}.txt").open("wb"),
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(port: int, pid: int, seconds: int, connections: int) -> tuple[float, float]:
    """Requests/s, and the server's CPU µs per request (writer thread included)."""
    url = f"http://127.0.0.1:{port}/plaintext"
    base = ["wrk", "-t1", f"-c{connections}", "--latency"]
    subprocess.run([*_pin(1), *base, "-d2s", url], capture_output=True, check=True)  # warm-up
    time.sleep(0.5)  # the warm-up's queued spans are written before the CPU count starts
    cpu = _cpu_seconds(pid)
    out = subprocess.run(
        [*_pin(1), *base, f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    time.sleep(0.5)  # spans still queued cost CPU after wrk stops: count them
    cpu = _cpu_seconds(pid) - cpu
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rps is None or total is None:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    return float(rps.group(1)), cpu / int(total.group(1)) * 1e6


def _dropped(workdir: Path, tracer: str) -> int:
    """Spans the tracer reported dropping at shutdown (read from its stderr)."""
    text = (workdir / f"stderr-{tracer}.txt").read_text(errors="replace")
    return sum(int(n) for n in re.findall(r"tracer dropped (\d+) spans", text))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    rounds: list[dict[str, tuple[float, float]]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="stario-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "app.py").write_text(APP)
        ports = {tracer: 18600 + index for index, tracer in enumerate(TRACERS)}
        procs = {tracer: _start(workdir, tracer, port) for tracer, port in ports.items()}
        try:
            for port in ports.values():
                _wait_ready(port)
            for _ in range(args.rounds):
                rounds.append(
                    {
                        tracer: _wrk(port, procs[tracer].pid, args.seconds, args.connections)
                        for tracer, port in ports.items()
                    }
                )
        finally:
            for proc in procs.values():
                proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                proc.wait(timeout=30)
        dropped = {tracer: _dropped(workdir, tracer) for tracer in TRACERS}
    print(
        f"wrk -t1 -c{args.connections} -d{args.seconds}s on /plaintext, {args.rounds} "
        f"rounds visiting the tracers in turn; server pinned to CPU 0, wrk to CPU 1; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after\n"
    )
    print(
        "| tracer | ratio to noop (median) | ratios per round | best requests/s "
        "| CPU µs/request | dropped |"
    )
    print("|---|---:|---|---:|---:|---:|")
    for tracer in TRACERS:
        ratios = [r[tracer][0] / r["noop"][0] for r in rounds]
        best = max(r[tracer][0] for r in rounds)
        cpu = statistics.median(r[tracer][1] for r in rounds)
        print(
            f"| {tracer} | {statistics.median(ratios):.2f} "
            f"| {' '.join(f'{x:.2f}' for x in ratios)} | {best:,.0f} | {cpu:.1f} "
            f"| {dropped[tracer]} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
