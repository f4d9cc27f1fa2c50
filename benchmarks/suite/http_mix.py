"""Part 1: the route mix. Requests/s per route under wrk, each server its own process.

Every server is started and checked first; one that fails a check is reported and
stopped. The checked servers then stay up (idle ones cost no CPU) while the suite
runs ``rounds`` rounds over servers and routes, so a burst of load from another user
of the machine hits one round of one server rather than all of its routes; the best
clean round of each route is kept.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from suite.checks import check_routes
from suite.paths import APPS, WRK_VALIDATE
from suite.procs import Server, ServerError, free_port
from suite.settings import Say, Settings
from suite.targets import Target
from suite.wrk import WrkError, WrkResult, run_wrk

ROUTES: tuple[tuple[str, str, Path | None], ...] = (
    ("plaintext", "/plaintext", None),
    ("json", "/json", None),
    ("user", "/user/42", None),
    ("validate", "/validate", WRK_VALIDATE),
)
ROUTE_NAMES = tuple(name for name, _, _ in ROUTES)


@dataclass(slots=True)
class HttpResult:
    """One server's route numbers, or why it has none."""

    target: Target
    routes: dict[str, WrkResult] = field(default_factory=dict)
    """The best clean round per route (or the last unclean one, flagged by ``clean``)."""
    problems: list[str] = field(default_factory=list)
    """Failed checks or errors; a server that failed its checks has no numbers."""

    def rps(self, route: str) -> float | None:
        """Requests/s on ``route`` if it was measured without errors."""
        result = self.routes.get(route)
        return result.rps if result is not None and result.clean else None

    def keep(self, route: str, measured: WrkResult) -> None:
        """Keep ``measured`` if it is the best clean run of ``route`` so far."""
        best = self.routes.get(route)
        if best is None or (measured.clean and (not best.clean or measured.rps > best.rps)):
            self.routes[route] = measured


def run_http(targets: list[Target], settings: Settings, logdir: Path, say: Say) -> list[HttpResult]:
    """Check every target, then measure the ones that passed, round by round."""
    results = [HttpResult(t) for t in targets]
    with contextlib.ExitStack() as stack:
        live: list[tuple[Server, HttpResult]] = []
        for result in results:
            server = stack.enter_context(_server(result.target, logdir))
            if _checked(server, result, say):
                live.append((server, result))
            else:
                server.stop()
        for round_no in range(1, settings.rounds + 1):
            for server, result in live:
                if server.alive():
                    _measure_all(server, result, settings, say, round_no)
                elif "server died" not in " ".join(result.problems):
                    result.problems.append("server died during the run")
    for result in results:
        unclean = [r for r, m in result.routes.items() if not m.clean]
        result.problems += [f"{r}: no clean round (errors in every attempt)" for r in unclean]
        if not result.problems:
            missing = [r for r in ROUTE_NAMES if r not in result.routes]
            result.problems += [f"{r}: wrk failed in every attempt" for r in missing]
    return results


def _server(target: Target, logdir: Path) -> Server:
    port = free_port()
    log = logdir / f"http-{target.name}.log"
    return Server(target.name, target.command(port), port=port, cwd=APPS, log=log)


def _checked(server: Server, result: HttpResult, say: Say) -> bool:
    try:
        server.wait_ready()
    except ServerError as exc:
        result.problems.append(str(exc))
        return False
    problems = check_routes(server.port)
    result.problems += [f"check failed: {p}" for p in problems]
    say(f"[http] {server.name}: {'checks failed, not measured' if problems else 'checks passed'}")
    return not problems


def _measure_all(
    server: Server, result: HttpResult, settings: Settings, say: Say, round_no: int
) -> None:
    for name, path, script in ROUTES:
        url = f"http://127.0.0.1:{server.port}{path}"
        for attempt in (1, 2):
            measured, problem = _attempt(url, script, settings)
            if not server.alive():
                return
            if measured is not None:
                result.keep(name, measured)
            if not problem and measured is not None:
                say(f"[http] round {round_no} {server.name} {name}: {measured.rps:,.0f} req/s")
                break
            say(f"[http] round {round_no} {server.name} {name}: attempt {attempt}: {problem}")
            time.sleep(1.0)


def _attempt(url: str, script: Path | None, settings: Settings) -> tuple[WrkResult | None, str]:
    """One warm-up and one measured wrk run: the result, and what was wrong with it."""
    connections = settings.connections
    try:
        run_wrk(url, seconds=settings.warmup, connections=connections, script=script)
        measured = run_wrk(url, seconds=settings.duration, connections=connections, script=script)
    except WrkError as exc:
        return None, str(exc)
    errors = f"{measured.non_2xx} non-2xx responses, {measured.socket_errors} socket errors"
    return measured, "" if measured.clean else errors
