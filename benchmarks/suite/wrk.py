"""Run ``wrk`` pinned to the client CPU and read its report."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from suite.procs import CLIENT_CPU, pinned

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run reported."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int

    @property
    def clean(self) -> bool:
        """True when every response was 2xx/3xx and no socket error happened."""
        return self.non_2xx == 0 and self.socket_errors == 0


class WrkError(RuntimeError):
    """wrk failed or printed something this module cannot read."""


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    script: Path | None = None,
    threads: int = 1,
) -> WrkResult:
    """``wrk -t1 -cN -dS --latency [-s script] url`` pinned to the client CPU."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--latency",
    ]
    if script is not None:
        command += ["-s", str(script)]
    try:
        done = subprocess.run(
            pinned(CLIENT_CPU, [*command, url]),
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    except subprocess.TimeoutExpired:
        raise WrkError(f"wrk did not finish within {seconds + 60:.0f} s") from None
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}: {done.stderr.strip()[-300:]}")
    return parse_wrk(done.stdout)


def parse_wrk(out: str) -> WrkResult:
    """The numbers in wrk's ``--latency`` report."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rps is None or total is None:
        raise WrkError(f"cannot read wrk output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=_percentile(out, "50%"),
        p99_ms=_percentile(out, "99%"),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        # Read errors count connections the server closed; connect/write/timeouts too.
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def _percentile(out: str, label: str) -> float:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    if match is None:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk_version() -> str:
    """wrk's version line, e.g. ``wrk 4.1.0``."""
    try:
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0].split(" [")[0] if text else "unknown"
