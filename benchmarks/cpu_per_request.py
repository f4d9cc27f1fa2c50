"""CPU time per plaintext request, user and kernel, for stario and the ceiling server.

Run from the repository root with the project's environment (needs ``wrk``):

    .venv/bin/python benchmarks/cpu_per_request.py [--rounds 5] [--seconds 5]

Both servers run side by side, pinned to CPU 0; wrk (one thread, 128 connections,
pinned to CPU 1) visits them in turn, round after round, after a warm-up. For each
run the server's user and system CPU time (``/proc/PID/stat``) is divided by the
requests wrk completed. Requests/s on a shared machine moves by tens of percent from
one minute to the next; the CPU time a request costs moves less, and its split shows
where a gap to the ceiling is: the kernel's share (socket reads and writes, the same
for both) or the process's own. The last column is the ceiling's CPU time per request
divided by stario's, the share of the ceiling's requests/s that stario can reach on a
saturated core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from suite.paths import APPS
from suite.procs import Server, free_port
from suite.targets import BY_NAME
from suite.wrk import run_wrk

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Cost:
    """One wrk run against one server."""

    rps: float
    user_us: float
    kernel_us: float

    @property
    def total_us(self) -> float:
        return self.user_us + self.kernel_us


def cpu_seconds(pid: int) -> tuple[float, float]:
    """The process's user and system CPU seconds so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / _TICK, int(fields[12]) / _TICK


def measure(server: Server, seconds: float, connections: int) -> Cost:
    url = f"http://127.0.0.1:{server.port}/plaintext"
    run_wrk(url, seconds=2, connections=connections)  # warm-up
    user0, system0 = cpu_seconds(server.pid)
    result = run_wrk(url, seconds=seconds, connections=connections)
    user1, system1 = cpu_seconds(server.pid)
    if not result.clean or result.requests == 0:
        raise SystemExit(f"{server.name}: wrk saw errors or no requests; nothing to measure")
    per = 1e6 / result.requests
    return Cost(result.rps, (user1 - user0) * per, (system1 - system0) * per)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds [5]")
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk seconds per run [5]")
    parser.add_argument("--connections", type=int, default=128, help="wrk connections [128]")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds < 1 or args.connections < 1:
        parser.error("--rounds, --seconds and --connections must be at least 1")
    names = ("stario", "ceiling")
    costs: dict[str, list[Cost]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="stario-cpu-") as logs:
        servers = []
        for name in names:
            port = free_port()
            command = BY_NAME[name].command(port)
            log = Path(logs) / f"{name}.log"
            servers.append(Server(name, command, port=port, cwd=APPS, log=log))
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready()
            for round_no in range(1, args.rounds + 1):
                for server in servers:
                    cost = measure(server, args.seconds, args.connections)
                    costs[server.name].append(cost)
                    print(
                        f"round {round_no} {server.name:8} {cost.rps:9,.0f} req/s  "
                        f"user {cost.user_us:5.2f}  kernel {cost.kernel_us:5.2f} µs/request",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            for server in servers:
                server.stop()
    print(report(costs, args))
    return 0


def report(costs: dict[str, list[Cost]], args: argparse.Namespace) -> str:
    shares = [
        c.total_us / s.total_us for s, c in zip(costs["stario"], costs["ceiling"], strict=True)
    ]
    lines = [
        f"`wrk -t1 -c{args.connections} -d{args.seconds:g}s` on /plaintext, "
        f"{args.rounds} rounds; servers on CPU 0, wrk on CPU 1; medians over the rounds",
        "",
        "| server | requests/s | user µs/request | kernel µs/request | total |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, runs in costs.items():
        lines.append(
            f"| {name} | {statistics.median(c.rps for c in runs):,.0f} "
            f"| {statistics.median(c.user_us for c in runs):.2f} "
            f"| {statistics.median(c.kernel_us for c in runs):.2f} "
            f"| {statistics.median(c.total_us for c in runs):.2f} |"
        )
    lines += [
        "",
        "Ceiling's CPU time per request over stario's, per round: "
        + " ".join(f"{share:.2f}" for share in shares)
        + f" (median {statistics.median(shares):.2f})",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
