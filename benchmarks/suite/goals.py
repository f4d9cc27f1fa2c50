"""The performance goals, judged from one run: a PASS/FAIL/N/A line each, with the numbers."""

from __future__ import annotations

from dataclasses import dataclass

from suite.fanout import FanoutResult
from suite.http_mix import ROUTE_NAMES, HttpResult
from suite.idle import IdleResult
from suite.startup import StartupResult

ROUTE_LEAD = 1.3
"""stario's requests/s on every route ≥ this x the fastest peer's."""
CEILING_SHARE = 0.65
"""stario's plaintext requests/s ≥ this share of the ceiling's."""
SSE_P99_MS = 250.0
SSE_GOAL_CLIENTS = 10_000
IDLE_KIB = 10.0
SSE_CLIENT_KIB = 20.0
STARTUP_MS = 300.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """One goal: ``PASS``, ``FAIL`` or ``N/A`` (not measured), and the evidence."""

    status: str
    goal: str
    detail: str

    def line(self) -> str:
        """``- **PASS** goal: detail``."""
        return f"- **{self.status}** {self.goal}: {self.detail}"


def _verdict(ok: bool, goal: str, detail: str) -> Verdict:
    return Verdict("PASS" if ok else "FAIL", goal, detail)


def _na(goal: str, why: str = "not measured in this run") -> Verdict:
    return Verdict("N/A", goal, why)


def http_goals(results: list[HttpResult]) -> list[Verdict]:
    """Each route ≥ 1.3x the fastest peer; plaintext ≥ 65 % of the ceiling."""
    stario = next((r for r in results if r.target.role == "stario"), None)
    peers = [r for r in results if r.target.role == "peer"]
    verdicts = []
    for route in ROUTE_NAMES:
        goal = f"{route}: ≥ {ROUTE_LEAD}x the fastest peer"
        mine = stario.rps(route) if stario else None
        measured = [(rps, p.target.name) for p in peers if (rps := p.rps(route)) is not None]
        if mine is None or not measured:
            verdicts.append(_na(goal))
            continue
        best, name = max(measured)
        detail = f"stario {mine:,.0f} req/s, fastest peer {name} {best:,.0f} → {mine / best:.2f}x"
        verdicts.append(_verdict(mine >= ROUTE_LEAD * best, goal, detail))
    ceiling = next((r for r in results if r.target.role == "ceiling"), None)
    goal = f"plaintext: ≥ {CEILING_SHARE:.0%} of the ceiling"
    mine = stario.rps("plaintext") if stario else None
    top = ceiling.rps("plaintext") if ceiling else None
    if mine is None or top is None:
        verdicts.append(_na(goal))
    else:
        detail = f"stario {mine:,.0f}, ceiling {top:,.0f} → {mine / top:.0%}"
        verdicts.append(_verdict(mine >= CEILING_SHARE * top, goal, detail))
    return verdicts


def fanout_goals(results: list[FanoutResult]) -> list[Verdict]:
    """10k-client p99 < 250 ms; more events/s than every peer; < 20 KiB per SSE client."""
    verdicts = []
    mine = {r.clients: r for r in results if r.target.role == "stario"}
    big = mine.get(SSE_GOAL_CLIENTS)
    goal = f"SSE {SSE_GOAL_CLIENTS:,} clients: p99 delay < {SSE_P99_MS:.0f} ms"
    if big is None or not big.paced:
        verdicts.append(_na(goal))
    else:
        p99 = big.paced["p99_ms"]
        lost = big.paced["expected"] - big.paced["received"]
        ok = p99 < SSE_P99_MS and lost == 0
        verdicts.append(_verdict(ok, goal, f"p99 {p99:,.1f} ms, {lost} events lost"))
    for clients, result in sorted(mine.items()):
        verdicts.append(_rate_goal(clients, result, results))
        goal = f"SSE {clients:,} clients: < {SSE_CLIENT_KIB:.0f} KiB RSS per client"
        per = result.rss_per_client_kib
        if per is None:
            verdicts.append(_na(goal))
        else:
            verdicts.append(_verdict(per < SSE_CLIENT_KIB, goal, f"{per:.1f} KiB"))
    if not mine:
        verdicts.append(_na("SSE: more events/s than every peer"))
    return verdicts


def _rate_goal(clients: int, mine: FanoutResult, results: list[FanoutResult]) -> Verdict:
    goal = f"SSE {clients:,} clients: more events/s than every peer"
    rate = mine.burst.get("events_per_s") if mine.complete else None
    peers = [
        (r.burst["events_per_s"], r.target.name)
        for r in results
        if r.target.role == "peer" and r.clients == clients and r.burst
    ]
    if rate is None:
        return _na(goal, "stario's run was incomplete")
    if not peers:
        return _na(goal, "no peer measured")
    best, name = max(peers)
    detail = f"stario {rate:,.0f}/s, best peer {name} {best:,.0f}/s → {rate / best:.2f}x"
    return _verdict(rate > best, goal, detail)


def idle_goals(results: list[IdleResult]) -> list[Verdict]:
    """< 10 KiB RSS per idle keep-alive connection, at every count measured."""
    verdicts = []
    for result in (r for r in results if r.target.role == "stario"):
        goal = f"{result.count:,} idle keep-alive connections: < {IDLE_KIB:.0f} KiB each"
        per = result.per_connection_kib
        if per is None:
            verdicts.append(_na(goal, "; ".join(result.problems) or "not measured"))
        else:
            verdicts.append(_verdict(per < IDLE_KIB, goal, f"{per:.1f} KiB"))
    return verdicts or [_na(f"idle keep-alive connections: < {IDLE_KIB:.0f} KiB each")]


def startup_goals(results: list[StartupResult]) -> list[Verdict]:
    """Start-up (exec to first answer) < 300 ms, median."""
    goal = f"start-up: < {STARTUP_MS:.0f} ms (median)"
    stario = next((r for r in results if r.name == "stario"), None)
    median = stario.median_ms if stario else None
    if median is None:
        return [_na(goal)]
    return [_verdict(median < STARTUP_MS, goal, f"{median:.0f} ms")]
