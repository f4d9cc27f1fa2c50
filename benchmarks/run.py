"""Run stario's performance benchmark suite and write benchmarks/RESULTS.md.

Run from the repository root with the project's environment (needs ``wrk`` and
``taskset``; peers' environments are built from PyPI on first use):

    .venv/bin/python benchmarks/run.py                  # everything (~15 minutes)
    .venv/bin/python benchmarks/run.py --quick          # short smoke run (~4 minutes)
    .venv/bin/python benchmarks/run.py --parts http --servers stario,ceiling --duration 5

Parts: http (route mix under wrk), sse (fan-out to N clients), idle (RSS per idle
keep-alive connection), startup (exec to first answer), telemetry
(telemetry_overhead.py), html (html_render.py). Servers run pinned to CPU 0; wrk, the
load generator and this process stay on CPU 1. The report is printed and written to
``--output`` (default benchmarks/RESULTS.md; ``--output -`` only prints).
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from suite.extras import ScriptResult, run_html, run_telemetry
from suite.fanout import FanoutResult, run_fanout
from suite.goals import Verdict, fanout_goals, http_goals, idle_goals, startup_goals
from suite.http_mix import HttpResult, run_http
from suite.idle import IdleResult, run_idle
from suite.machine import load_average, machine_section, software_section
from suite.paths import RESULTS, ROOT
from suite.procs import CLIENT_CPU, SERVER_CPU, pin_self
from suite.report import (
    fanout_section,
    http_section,
    idle_section,
    script_section,
    startup_section,
)
from suite.settings import PARTS, Settings
from suite.startup import StartupResult, run_startup
from suite.targets import BY_NAME, TARGETS, Target, VenvError, ensure_venv


def say(text: str) -> None:
    """A progress line on stderr (stdout carries the report)."""
    print(text, file=sys.stderr, flush=True)


def _csv_ints(text: str) -> tuple[int, ...]:
    return tuple(int(x.replace("_", "")) for x in text.split(",") if x.strip())


def _csv(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def parse_args(argv: list[str]) -> tuple[Settings, str, bool]:
    """Settings from the command line, the output path, and whether to build environments."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    full, quick = Settings(), Settings.quick_mode()
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"short runs: {quick.duration:g} s per route, N={quick.sse_clients[0]:,} only",
    )
    parser.add_argument(
        "--parts", type=_csv, default=PARTS, help=f"comma-separated subset of {','.join(PARTS)}"
    )
    names = ",".join(BY_NAME)
    parser.add_argument("--servers", type=_csv, default=(), help=f"subset of {names}")
    parser.add_argument("--duration", type=float, help=f"wrk seconds per route [{full.duration:g}]")
    parser.add_argument("--warmup", type=float, help=f"wrk warm-up seconds [{full.warmup:g}]")
    parser.add_argument("--rounds", type=int, help=f"route-mix rounds, best kept [{full.rounds}]")
    parser.add_argument("--connections", type=int, help=f"wrk connections [{full.connections}]")
    parser.add_argument("--sse-clients", type=_csv_ints, help="SSE client counts [1000,10000]")
    parser.add_argument("--sse-events", type=int, help=f"paced SSE events [{full.sse_events}]")
    parser.add_argument("--sse-burst", type=int, help=f"burst SSE events [{full.sse_burst}]")
    parser.add_argument("--idle-counts", type=_csv_ints, help="idle connection counts [1000,10000]")
    parser.add_argument("--startup-runs", type=int, help=f"start-up runs [{full.startup_runs}]")
    parser.add_argument("--output", default=str(RESULTS), help="report file, '-' to only print")
    parser.add_argument(
        "--no-install", action="store_true", help="skip peers whose environment is not built"
    )
    args = parser.parse_args(argv)
    settings = Settings.quick_mode() if args.quick else Settings()
    unknown = [p for p in args.parts if p not in PARTS]
    unknown += [s for s in args.servers if s not in BY_NAME]
    if unknown:
        parser.error(f"unknown part or server: {', '.join(unknown)}")
    settings.parts, settings.targets = args.parts, args.servers
    overridable = ("duration", "warmup", "rounds", "connections", "sse_clients", "sse_events")
    for name in (*overridable, "sse_burst", "idle_counts", "startup_runs"):
        if getattr(args, name) is not None:
            setattr(settings, name, getattr(args, name))
    return settings, args.output, not args.no_install


@dataclass(slots=True)
class Run:
    """Everything one run measured."""

    settings: Settings
    targets: list[Target]
    http: list[HttpResult] = field(default_factory=list)
    fanout: list[FanoutResult] = field(default_factory=list)
    idle: list[IdleResult] = field(default_factory=list)
    startup: list[StartupResult] = field(default_factory=list)
    scripts: dict[str, ScriptResult] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def prepare_targets(settings: Settings, install: bool) -> tuple[list[Target], dict[str, str]]:
    """The selected servers whose environments exist (built when ``install``)."""
    chosen = [t for t in TARGETS if not settings.targets or t.name in settings.targets]
    ready, unavailable = [], {}
    for target in chosen:
        venv = target.venv
        if venv is not None and not install and not (venv / "bin" / "python").exists():
            unavailable[target.name] = f"no environment at {venv} (run without --no-install)"
            continue
        try:
            ensure_venv(target, log=say)
        except VenvError as exc:
            unavailable[target.name] = f"environment could not be built: {exc}"
            say(f"[setup] {target.name}: {exc}")
            continue
        ready.append(target)
    return ready, unavailable


def measure(run: Run, logdir: Path) -> None:
    """Run every selected part in order."""
    parts, settings, targets = run.settings.parts, run.settings, run.targets
    if "http" in parts:
        run.http = run_http(targets, settings, logdir, say)
    if "sse" in parts:
        run.fanout = run_fanout(targets, settings, logdir, say)
    if "idle" in parts:
        run.idle = run_idle(targets, settings, logdir, say)
    if "startup" in parts:
        run.startup = run_startup(settings, logdir, say)
    if "telemetry" in parts:
        run.scripts["telemetry"] = run_telemetry(settings, say)
    if "html" in parts:
        run.scripts["html"] = run_html(settings, say)


def verdicts(run: Run) -> list[Verdict]:
    """The goals of every part that ran."""
    found: list[Verdict] = []
    if run.http:
        found += http_goals(run.http)
    if run.fanout:
        found += fanout_goals(run.fanout)
    if run.idle:
        found += idle_goals(run.idle)
    if run.startup:
        found += startup_goals(run.startup)
    return found


def document(run: Run, command: str, started: str, load_start: str) -> str:
    """The whole markdown report."""
    s = run.settings
    mode = " (quick mode: indicative numbers only)" if s.quick else ""
    out = [
        "# stario benchmark results",
        "",
        f"Measured {started} with `{command}`{mode}. The machine is shared with other "
        "work, so absolute numbers are noisy; ratios within one run are the comparable part.",
        "",
        "## Goals",
        "",
        *(v.line() for v in verdicts(run)),
    ]
    if run.unavailable:
        out += ["", "Servers not run:", ""]
        out += [f"- **{name}**: {why}" for name, why in run.unavailable.items()]
    sections: list[tuple[str, Callable[[], str], bool]] = [
        ("1. HTTP route mix", lambda: http_section(run.http, s), bool(run.http)),
        ("2. SSE fan-out", lambda: fanout_section(run.fanout, s), bool(run.fanout)),
        ("3. Idle keep-alive connections", lambda: idle_section(run.idle), bool(run.idle)),
        ("4. Start-up", lambda: startup_section(run.startup), bool(run.startup)),
    ]
    for title, render, present in sections:
        if present:
            out += ["", f"## {title}", "", render()]
    for key, title in (("telemetry", "5. Telemetry overhead"), ("html", "6. HTML rendering")):
        if key in run.scripts:
            out += ["", f"## {title}", "", script_section(run.scripts[key])]
    out += ["", "## Machine", "", machine_section(load_start)]
    out += ["", "## Software", "", software_section(run.targets), "", "## Settings", ""]
    out += [settings_text(s)]
    return "\n".join(out) + "\n"


def settings_text(s: Settings) -> str:
    """The settings of this run as a list."""
    return "\n".join(
        [
            f"- parts: {', '.join(s.parts)}",
            f"- pinning: servers on CPU {SERVER_CPU}; wrk, load generator, runner on CPU "
            f"{CLIENT_CPU}",
            f"- route mix: wrk -t1 -c{s.connections}, {s.warmup:g} s warm-up + "
            f"{s.duration:g} s per route and round, {s.rounds} round(s), best clean round "
            "kept; POST via benchmarks/wrk/validate.lua",
            "- servers: uvloop, access logs off, compression off, keep-alive timeout 120 s "
            "where configurable; JSON by stdlib json with compact separators everywhere",
            f"- SSE: N = {', '.join(f'{n:,}' for n in s.sse_clients)}; {s.sse_events} paced "
            f"events; {s.sse_burst} burst events",
            f"- idle connections: N = {', '.join(f'{n:,}' for n in s.idle_counts)}",
            f"- start-up runs: {s.startup_runs}",
            f"- telemetry_overhead.py: {s.telemetry_seconds} s per tracer; html_render.py: "
            f"--repeat {s.html_repeat}",
        ]
    )


def main(argv: list[str]) -> int:
    """Parse options, measure, print the report and write it."""
    settings, output, install = parse_args(argv)
    if "http" in settings.parts and shutil.which("wrk") is None:
        say("wrk is not installed (apt-get install -y wrk)")
        return 2
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    pin_self(CLIENT_CPU)
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    load_start = load_average()
    targets, unavailable = prepare_targets(settings, install)
    run = Run(settings, targets, unavailable=unavailable)
    logdir = Path(tempfile.mkdtemp(prefix="stario-bench-"))
    say(f"[setup] server logs in {logdir}")
    measure(run, logdir)
    python = sys.executable
    if python.startswith(str(ROOT)):
        python = os.path.relpath(python, ROOT)
    command = shlex.join([python, "benchmarks/run.py", *argv])
    text = document(run, command, started, load_start)
    print(text)
    if output != "-":
        Path(output).write_text(text)
        say(f"[done] report written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
