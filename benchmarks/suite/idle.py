"""Part 3: server memory per idle keep-alive connection.

For each server and count N: RSS after start-up, then ``loadgen.py idle`` opens N
connections and sends one ``GET /plaintext`` on each (so every connection has served a
request and sits idle in keep-alive), then RSS again; (after - before) / N is the cost
of one idle connection. The generator then confirms the connections are still open,
so a server that closed them early is reported rather than flattered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from suite.client import LoadGen, LoadGenError
from suite.paths import APPS
from suite.procs import Server, ServerError, free_port, settle_rss
from suite.settings import Say, Settings
from suite.targets import Target


@dataclass(slots=True)
class IdleResult:
    """One server holding N idle connections."""

    target: Target
    count: int
    connected: int = 0
    still_open: int = 0
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def per_connection_kib(self) -> float | None:
        """RSS growth per connection, when every connection was open at measurement."""
        if not self.connected or self.problems:
            return None
        return (self.rss_after_kib - self.rss_before_kib) / self.connected


def run_idle(targets: list[Target], settings: Settings, logdir: Path, say: Say) -> list[IdleResult]:
    """Every target at every count of ``settings.idle_counts``."""
    results = []
    for count in settings.idle_counts:
        for target in targets:
            result = IdleResult(target, count)
            try:
                _measure(result, logdir)
            except (ServerError, LoadGenError) as exc:
                result.problems.append(str(exc))
            per = result.per_connection_kib
            shown = f"{per:.1f} KiB/connection" if per is not None else "; ".join(result.problems)
            say(f"[idle] {target.name} N={count}: {shown}")
            results.append(result)
    return results


def _measure(result: IdleResult, logdir: Path) -> None:
    target, count = result.target, result.count
    port = free_port()
    log = logdir / f"idle-{target.name}-{count}.log"
    with Server(target.name, target.command(port), port=port, cwd=APPS, log=log) as server:
        server.wait_ready()
        result.rss_before_kib = settle_rss(server.pid)
        args = ["idle", "--port", str(port), "--count", str(count)]
        with LoadGen(args, logdir / f"loadgen-idle-{target.name}-{count}.log") as gen:
            connected = gen.expect("connected", timeout=120 + count / 100)
            result.connected = connected["ok"]
            if connected["failed"]:
                result.problems.append(f"connections failed: {connected['failed']}")
            result.rss_after_kib = settle_rss(server.pid)
            gen.send("status")
            result.still_open = gen.expect("status", timeout=30)["open"]
        if result.still_open < result.connected:
            closed = result.connected - result.still_open
            result.problems.append(f"server closed {closed} idle connections during measurement")
