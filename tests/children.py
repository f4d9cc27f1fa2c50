"""What test subprocesses need: the same stario as the test process, a tree to build."""

from __future__ import annotations

import shutil
from pathlib import Path

import stario

# The directory this process imports stario from: ``src/`` for an editable install,
# site-packages for an installed wheel. Child processes put it first on PYTHONPATH, so
# a run against the compiled build starts compiled servers too.
STARIO_PATH = str(Path(stario.__file__).resolve().parents[1])

REPO = Path(__file__).resolve().parents[1]


def project_copy(dest: Path) -> Path:
    """Copy what a wheel build of this project reads to ``dest``; return ``dest``.

    Builds run on a copy: while mypyc compiles, the build moves ``pyproject.toml``
    aside and writes compiled modules beside the sources, which the tests running
    from this checkout must never see.
    """
    dest.mkdir()
    for name in ("pyproject.toml", "hatch_build.py", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(
        REPO / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.so")
    )
    return dest
