"""What the numbers were measured on: CPU, memory, kernel, load, and software versions."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

from suite.paths import ROOT
from suite.report import table
from suite.targets import Target, versions
from suite.wrk import wrk_version


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (or what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    """Total RAM in GiB from ``/proc/meminfo``."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def load_average() -> str:
    """The 1/5/15-minute load averages (other users of the machine show up here)."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def git_revision() -> str:
    """The checkout's commit, with ``+changes`` when the tree is dirty."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}+changes" if dirty else head or "unknown"


def machine_section(load_start: str) -> str:
    """CPU, cores, RAM, kernel and load averages at the start and end of the run."""
    rows = [
        ["CPU", cpu_model()],
        ["cores", str(os.cpu_count())],
        ["RAM", f"{memory_gib():.1f} GiB"],
        ["kernel", f"{platform.system()} {platform.release()}"],
        ["load average at start (1/5/15 min)", load_start],
        ["load average at end", load_average()],
    ]
    return table(["", ""], rows, right_from=2)


def stario_build() -> str:
    """Whether the stario under test runs its per-request modules compiled (mypyc)."""
    from stario.cli.main import build

    return build()


def software_section(targets: list[Target]) -> str:
    """Python, wrk, the stario checkout, and each server's package versions."""
    rows = [
        ["Python", sys.version.split()[0] + f" ({platform.python_implementation()})"],
        ["wrk", wrk_version()],
        ["stario checkout", git_revision()],
        ["stario build", stario_build()],
    ]
    for target in targets:
        found = versions(target, target.packages)
        shown = ", ".join(f"{name} {found[name]}" for name in target.packages if name in found)
        rows.append([target.name, shown or "environment unavailable"])
    return table(["", ""], rows, right_from=2)
