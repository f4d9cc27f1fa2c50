"""Markdown tables of absolute numbers, each with its ratio to stario from the same run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from suite.extras import ScriptResult
from suite.fanout import FanoutResult
from suite.http_mix import ROUTE_NAMES, HttpResult
from suite.idle import IdleResult
from suite.settings import Settings
from suite.startup import StartupResult


def table(header: Sequence[str], rows: Iterable[Sequence[str]], right_from: int = 1) -> str:
    """A markdown table; columns from ``right_from`` on are right-aligned (numbers)."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(value: float | None, base: float | None) -> str:
    """``value / base`` as ``1.23x``, or ``-`` when either is missing."""
    if value is None or not base:
        return "-"
    return f"{value / base:.2f}x"


def number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators, or ``-``."""
    if value is None or value != value:  # None or NaN
        return "-"
    return f"{value:,.{digits}f}"


# --- part 1 -------------------------------------------------------------------------------


def http_section(results: list[HttpResult], settings: Settings) -> str:
    """Requests/s per route, with ratios to stario, p99 latency, and any failed server."""
    base = next((r for r in results if r.target.role == "stario"), None)
    rows = []
    for result in results:
        if not result.routes:
            rows.append([result.target.name, *("not measured" for _ in ROUTE_NAMES)])
            continue
        cells = []
        for route in ROUTE_NAMES:
            rps = result.rps(route)
            cells.append(f"{number(rps)} ({ratio(rps, base.rps(route) if base else None)})")
        rows.append([result.target.name, *cells])
    latency = [
        [r.target.name, *(_p99(r, route) for route in ROUTE_NAMES)] for r in results if r.routes
    ]
    text = [
        f"Requests/s, `wrk -t1 -c{settings.connections} -d{settings.duration:g}s` after a "
        f"{settings.warmup:g} s warm-up, best of {settings.rounds} round(s); one server "
        "process on CPU 0, wrk on CPU 1. In brackets: the ratio to stario in this run.",
        "",
        table(["server", *ROUTE_NAMES], rows),
        "",
        "p99 latency under that load (ms):",
        "",
        table(["server", *ROUTE_NAMES], latency),
    ]
    text += _problems(results)
    return "\n".join(text)


def _p99(result: HttpResult, route: str) -> str:
    measured = result.routes.get(route)
    return number(measured.p99_ms, 1) if measured is not None else "-"


def _problems(results: Iterable[HttpResult | FanoutResult | IdleResult]) -> list[str]:
    lines = []
    for result in results:
        for problem in result.problems:
            label = result.target.name
            if isinstance(result, FanoutResult):
                label += f" N={result.clients}"
            elif isinstance(result, IdleResult):
                label += f" N={result.count}"
            first, *rest = problem.splitlines() or [""]
            lines.append(f"- **{label}**: {first}")
            lines += [f"  `{line.strip()}`" for line in rest if line.strip()]
    return ["", "Not measured or flagged:", "", *lines] if lines else []


# --- part 2 -------------------------------------------------------------------------------


def fanout_section(results: list[FanoutResult], settings: Settings) -> str:
    """Events/s, delays and memory per SSE client, with ratios to stario at the same N."""
    bases = {r.clients: r for r in results if r.target.role == "stario"}
    rows = []
    for r in results:
        base = bases.get(r.clients)
        rate = r.burst.get("events_per_s") if r.burst else None
        base_rate = base.burst.get("events_per_s") if base and base.burst else None
        rows.append(
            [
                r.target.name,
                number(r.clients),
                number(r.connected),
                f"{number(rate)} ({ratio(rate, base_rate)})",
                number(r.paced.get("p50_ms"), 1),
                number(r.paced.get("p99_ms"), 1),
                number(r.paced.get("fanout_median_ms"), 1),
                number(r.burst.get("p99_ms"), 0),
                f"{number(r.rss_per_client_kib, 1)} ({ratio(r.rss_per_client_kib, _rss(base))})",
                _lost(r),
                _client_cpu(r),
            ]
        )
    header = [
        "server",
        "clients",
        "connected",
        "events/s, burst",
        "p50 ms",
        "p99 ms",
        "fan-out ms",
        "burst p99 ms",
        "KiB/client",
        "lost",
        "client CPU",
    ]
    sizes = sorted({r.clients for r in results})
    intervals = ", ".join(f"{settings.sse_interval_ms(n)} ms at N={n:,}" for n in sizes)
    text = [
        f"Paced phase: {settings.sse_events} events, one every {intervals or '-'}; "
        "p50/p99 are publish-to-receipt delays over every event at every client, fan-out "
        "is the median time for one event to reach the last client. Burst phase: "
        f"{settings.sse_burst} events back to back; events/s = events received by all "
        "clients / (last receipt - first publish). KiB/client = server RSS growth / N. "
        "Client CPU = the load generator's CPU use during the burst (near 100 % means the "
        "client, not the server, set the pace). In brackets: ratio to stario at the same N.",
        "",
        table(header, rows),
    ]
    return "\n".join(text + _problems(results))


def _rss(result: FanoutResult | None) -> float | None:
    return result.rss_per_client_kib if result is not None else None


def _lost(result: FanoutResult) -> str:
    phases = [p for p in (result.paced, result.burst) if p]
    if not phases:
        return "-"
    return number(sum(p["expected"] - p["received"] for p in phases))


def _client_cpu(result: FanoutResult) -> str:
    busy = result.burst.get("client_cpu")
    return f"{busy * 100:.0f} %" if isinstance(busy, float) else "-"


# --- part 3 -------------------------------------------------------------------------------


def idle_section(results: list[IdleResult]) -> str:
    """Server RSS per idle keep-alive connection, with ratios to stario at the same N."""
    bases = {r.count: r for r in results if r.target.role == "stario"}
    rows = []
    for r in results:
        base = bases.get(r.count)
        per = r.per_connection_kib
        rows.append(
            [
                r.target.name,
                number(r.count),
                number(r.still_open),
                number(r.rss_before_kib / 1024, 1),
                number(r.rss_after_kib / 1024, 1),
                f"{number(per, 1)} ({ratio(per, base.per_connection_kib if base else None)})",
            ]
        )
    header = ["server", "connections", "still open", "RSS before MiB", "RSS after MiB", "KiB/conn"]
    text = [
        "Each connection served one `GET /plaintext` and then sat idle in keep-alive. "
        "RSS includes child processes (Granian's worker). In brackets: ratio to stario.",
        "",
        table(header, rows),
    ]
    return "\n".join(text + _problems(results))


# --- parts 4 and 5 ------------------------------------------------------------------------


def startup_section(results: list[StartupResult]) -> str:
    """Median, fastest and slowest start-up per server."""
    rows = [
        [
            r.name,
            f"`{r.command}`",
            number(r.median_ms),
            number(min(r.runs_ms) if r.runs_ms else None),
            number(max(r.runs_ms) if r.runs_ms else None),
            str(len(r.runs_ms)),
        ]
        for r in results
    ]
    header = ["server", "command", "median ms", "min ms", "max ms", "runs"]
    text = [
        "From spawning the process to the first `200` on `GET /plaintext` (polled every 1 ms).",
        "",
        table(header, rows, right_from=2),
    ]
    for r in results:
        text += [f"- **{r.name}**: {p}" for p in r.problems]
    return "\n".join(text)


def script_section(result: ScriptResult) -> str:
    """A stand-alone script's own output, or why it has none."""
    if not result.ok:
        return f"`{result.command}`: not run — {result.output}"
    return f"`{result.command}`\n\n{result.output}"
