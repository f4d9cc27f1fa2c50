"""Part 2: SSE fan-out. N clients on one stream, events published in-process, timed at receipt.

For each server and each N: start the server, note its RSS, connect N clients with
``loadgen.py sse``, note the RSS again (the difference / N is the memory per
subscribed client), then run two phases:

- paced: ``sse_events`` events at a fixed interval long enough for one fan-out, which
  gives the delay from publish to receipt (p50/p99 over every event at every client)
  and the median time for one event to reach all N clients;
- burst: ``sse_burst`` events back to back (the publisher yields to the loop between
  them), which gives the events delivered per second the server sustains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suite.client import LoadGen, LoadGenError
from suite.paths import APPS
from suite.procs import Server, ServerError, free_port, settle_rss
from suite.settings import Say, Settings
from suite.targets import Target


@dataclass(slots=True)
class FanoutResult:
    """One server at one N."""

    target: Target
    clients: int
    connected: int = 0
    rss_per_client_kib: float | None = None
    paced: dict[str, Any] = field(default_factory=dict)
    burst: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every client connected and received every event of both phases."""
        phases = (self.paced, self.burst)
        return (
            not self.problems
            and self.connected == self.clients
            and all(p and p["received"] == p["expected"] for p in phases)
        )


def run_fanout(
    targets: list[Target], settings: Settings, logdir: Path, say: Say
) -> list[FanoutResult]:
    """Every SSE-capable target at every N of ``settings.sse_clients``."""
    results = []
    for clients in settings.sse_clients:
        for target in (t for t in targets if t.sse):
            result = FanoutResult(target, clients)
            try:
                _measure(result, settings, logdir, say)
            except (ServerError, LoadGenError) as exc:
                result.problems.append(str(exc))
                say(f"[sse] {target.name} N={clients}: {exc}")
            results.append(result)
    return results


def _measure(result: FanoutResult, settings: Settings, logdir: Path, say: Say) -> None:
    target, clients = result.target, result.clients
    port = free_port()
    log = logdir / f"sse-{target.name}-{clients}.log"
    interval = settings.sse_interval_ms(clients)
    args = ["sse", "--port", str(port), "--clients", str(clients)]
    args += ["--events", str(settings.sse_events), "--interval-ms", str(interval)]
    args += ["--burst", str(settings.sse_burst)]
    with Server(target.name, target.command(port), port=port, cwd=APPS, log=log) as server:
        server.wait_ready()
        before = settle_rss(server.pid)
        with LoadGen(args, logdir / f"loadgen-sse-{target.name}-{clients}.log") as gen:
            connected = gen.expect("connected", timeout=120 + clients / 100)
            result.connected = connected["ok"]
            if connected["failed"]:
                result.problems.append(f"connections failed: {connected['failed']}")
            after = settle_rss(server.pid)
            if result.connected:
                result.rss_per_client_kib = (after - before) / result.connected
            say(f"[sse] {target.name} N={clients}: {result.connected} connected")
            gen.send("go")
            budget = settings.sse_events * interval / 1000 + 120 + clients / 50
            report = gen.expect("result", timeout=budget)
        result.paced, result.burst = report["paced"], report["burst"]
        if not server.alive():
            result.problems.append("server died during the run")
    burst = result.burst
    say(
        f"[sse] {target.name} N={clients}: {burst['events_per_s']:,.0f} events/s, "
        f"paced p99 {result.paced['p99_ms']:.1f} ms"
    )
