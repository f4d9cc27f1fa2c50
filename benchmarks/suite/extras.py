"""Part 5: the stand-alone benchmark scripts, run as they are and their tables kept.

``telemetry_overhead.py`` (requests/s per tracer) and ``html_render.py`` (page render
time per template library) each print a markdown table; the suite runs them with its
own durations and puts their output in the report unchanged.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from suite.paths import BENCHMARKS, ROOT
from suite.settings import Say, Settings


@dataclass(frozen=True, slots=True)
class ScriptResult:
    """What one script printed, or why it could not run."""

    name: str
    command: str
    output: str
    ok: bool


def run_script(name: str, args: list[str], timeout: float, say: Say) -> ScriptResult:
    """Run ``benchmarks/<name>`` with this interpreter from the repository root."""
    path = BENCHMARKS / name
    shown = f"python benchmarks/{name} {' '.join(args)}".strip()
    if not path.exists():
        return ScriptResult(name, shown, f"{name} is not present in this checkout", False)
    say(f"[{path.stem}] running")
    try:
        done = subprocess.run(
            [sys.executable, str(path), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return ScriptResult(name, shown, f"did not finish within {timeout:.0f} s", False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        return ScriptResult(name, shown, f"exit {done.returncode}:\n{tail}", False)
    return ScriptResult(name, shown, done.stdout.strip(), True)


def run_telemetry(settings: Settings, say: Say) -> ScriptResult:
    """Requests/s per tracer, as ratios to ``noop``."""
    seconds = str(max(1, round(settings.telemetry_seconds)))
    args = ["--seconds", seconds, "--connections", str(settings.connections)]
    return run_script("telemetry_overhead.py", args, 300 + 30 * settings.telemetry_seconds, say)


def run_html(settings: Settings, say: Say) -> ScriptResult:
    """Microseconds per rendered page for stario.html and other template libraries."""
    return run_script("html_render.py", ["--repeat", str(settings.html_repeat)], 600, say)
