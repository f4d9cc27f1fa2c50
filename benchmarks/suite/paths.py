"""Where the suite's files are: the repository, the apps, requirements and environments."""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent
ROOT = BENCHMARKS.parent
APPS = BENCHMARKS / "apps"
REQUIREMENTS = BENCHMARKS / "requirements"
VENVS = BENCHMARKS / ".venvs"
WRK_VALIDATE = BENCHMARKS / "wrk" / "validate.lua"
LOADGEN = BENCHMARKS / "suite" / "loadgen.py"
RESULTS = BENCHMARKS / "RESULTS.md"
