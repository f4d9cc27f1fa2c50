"""Shared fixtures for CLI tests: a clean environment and a throwaway project dir."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.children import STARIO_PATH


@pytest.fixture(autouse=True)
def _no_stario_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own STARIO_PORT must not change what these tests see.
    for name in list(os.environ):
        if name.startswith("STARIO_"):
            monkeypatch.delenv(name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary current directory; modules imported from it are forgotten afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.fixture
def child_env() -> dict[str, str]:
    """The environment for a ``python -m stario`` subprocess that imports our stario."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARIO_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [STARIO_PATH, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env
