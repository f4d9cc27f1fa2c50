"""Part 4: start-up time, from exec of ``stario serve`` to the first answered request.

The clock starts just before the process is spawned and stops when ``GET /plaintext``
first answers 200 (polled every millisecond from the client CPU). The ceiling server
is timed the same way as the floor: interpreter start-up plus importing uvloop and
httptools. Median of ``startup_runs`` runs.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from suite.paths import APPS
from suite.procs import Server, ServerError, free_port, get_status
from suite.settings import Say, Settings
from suite.targets import BY_NAME, Target


@dataclass(slots=True)
class StartupResult:
    """Start-up times of one server, in milliseconds."""

    name: str
    command: str
    runs_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float | None:
        """The median run, if any run succeeded."""
        return statistics.median(self.runs_ms) if self.runs_ms else None


def command_for(target: Target, port: int) -> list[str]:
    """The target's command; stario through its console script, as a user types it."""
    command = target.command(port)
    script = target.bin_dir() / "stario"
    if target.role == "stario" and script.exists() and command[1:3] == ["-m", "stario"]:
        return [str(script), *command[3:]]
    return command


def run_startup(settings: Settings, logdir: Path, say: Say) -> list[StartupResult]:
    """Time stario and the ceiling ``settings.startup_runs`` times each."""
    results = []
    for name in ("stario", "ceiling"):
        target = BY_NAME[name]
        words = [Path(a).name for a in command_for(target, 0)]
        shown = " ".join(words[: next(i for i, w in enumerate(words) if w.startswith("--"))])
        result = StartupResult(name, shown)
        for _ in range(settings.startup_runs):
            try:
                result.runs_ms.append(_time_one(target, logdir))
            except ServerError as exc:
                result.problems.append(str(exc))
        median = result.median_ms
        say(f"[startup] {name}: median {median:.0f} ms" if median else f"[startup] {name}: failed")
        results.append(result)
    return results


def _time_one(target: Target, logdir: Path, timeout: float = 20.0) -> float:
    port = free_port()
    command = command_for(target, port)
    server = Server(
        target.name, command, port=port, cwd=APPS, log=logdir / f"startup-{target.name}.log"
    )
    started = time.perf_counter()
    with server:
        deadline = started + timeout
        while time.perf_counter() < deadline:
            try:
                if get_status(port, timeout=2.0) == 200:
                    return (time.perf_counter() - started) * 1000
            except OSError:
                pass
            if not server.alive():
                raise ServerError(f"{target.name} exited during start-up")
            time.sleep(0.001)
    raise ServerError(f"{target.name} did not answer within {timeout:.0f} s")
