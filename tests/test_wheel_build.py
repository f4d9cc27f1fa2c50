"""Building stario's wheel: compiled by default, pure Python when it must or is asked to be.

Each test builds from a copy of the project with ``pip wheel`` (build dependencies come
from the package index, as for any user). ``CC=/bin/false`` stands in for a machine
without a C compiler: mypyc gets as far as calling the compiler, which then fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.children import project_copy

pytestmark = pytest.mark.slow

BOUND = 240.0  # seconds for one build; a compiled one takes about 30


def build(project: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith("STARIO_")}
    child.update(env)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    return subprocess.run(
        [*pip, "wheel", "-v", "--no-deps", "-w", str(out), str(project)],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=child,
        check=False,
    )


def wheel_names(out: Path) -> list[str]:
    (wheel,) = out.glob("stario-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def leftovers(project: Path) -> list[str]:
    """Files a build left in the source tree that a checkout does not have."""
    found = [p for p in project.rglob("*") if p.suffix == ".so" or p.name.endswith(".bak")]
    return sorted(str(p.relative_to(project)) for p in found)


def test_without_a_compiler_the_wheel_is_pure_python_and_says_why(tmp_path: Path) -> None:
    project, out = project_copy(tmp_path / "project"), tmp_path / "out"
    done = build(project, out, CC="/bin/false")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    names = wheel_names(out)
    assert "stario/http/connection.py" in names
    assert not [n for n in names if n.endswith(".so")]
    assert [p.name.endswith("-py3-none-any.whl") for p in out.glob("*.whl")] == [True]
    log = done.stdout + done.stderr
    assert "mypyc compilation failed" in log
    assert "building the pure-Python wheel" in log
    assert leftovers(project) == []
    assert (project / "pyproject.toml").exists()


def test_stario_compile_1_makes_a_failed_compilation_fail_the_build(tmp_path: Path) -> None:
    project, out = project_copy(tmp_path / "project"), tmp_path / "out"
    done = build(project, out, CC="/bin/false", STARIO_COMPILE="1")
    assert done.returncode != 0
    assert not list(out.glob("*.whl"))
    assert "Error while invoking Mypyc" in done.stdout + done.stderr
    assert leftovers(project) == []


def test_stario_compile_0_builds_pure_python_without_running_mypyc(tmp_path: Path) -> None:
    project, out = project_copy(tmp_path / "project"), tmp_path / "out"
    done = build(project, out, STARIO_COMPILE="0")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not [n for n in wheel_names(out) if n.endswith(".so")]
    log = done.stdout + done.stderr
    assert "STARIO_COMPILE=0: building the pure-Python wheel" in log
    assert "compiled with mypyc" not in log
    assert "Error while invoking Mypyc" not in log


def test_an_unknown_stario_compile_value_stops_the_build(tmp_path: Path) -> None:
    project, out = project_copy(tmp_path / "project"), tmp_path / "out"
    done = build(project, out, STARIO_COMPILE="maybe")
    assert done.returncode != 0
    assert "STARIO_COMPILE must be auto, 1 or 0, not 'maybe'" in done.stdout + done.stderr


def test_an_editable_install_is_never_compiled(tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    child = {k: v for k, v in os.environ.items() if not k.startswith("STARIO_")}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(venv)]
    done = subprocess.run(
        [*pip, "install", "-v", "--no-deps", "-e", str(project)],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env={**child, "STARIO_COMPILE": "1"},  # even when compiling is demanded
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "editable install: the pure-Python sources are used as they are" in (
        done.stdout + done.stderr
    )
    assert leftovers(project) == []
    # The environment imports the project's sources themselves.
    probe = "import importlib.util as u; print(u.find_spec('stario').origin)"
    origin = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=True,
    ).stdout.strip()
    assert origin == str(project / "src" / "stario" / "__init__.py")
