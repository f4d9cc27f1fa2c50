"""``stario init``: a runnable project from built-in templates, never over existing work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stario.cli import main
from stario.cli.init import DATASTAR_URL, DEFAULT_NAME, project_name

FILES = {
    ".gitignore",
    "README.md",
    "main.py",
    "pyproject.toml",
    "static/index.html",
    "tests/test_main.py",
}


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_init_creates_the_project_and_says_what_to_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "shop"]) == 0
    assert files_under(project / "shop") == FILES
    out = capsys.readouterr().out
    assert out.startswith("stario: created shop/\n")
    for name in FILES:
        assert f"  {name}\n" in out
    assert "  cd shop\n" in out
    assert "  stario serve main:bootstrap\n" in out
    assert "  python -m pytest\n" in out


def test_init_without_a_name_uses_the_default(project: Path) -> None:
    assert main(["init"]) == 0
    assert files_under(project / DEFAULT_NAME) == FILES
    pyproject = (project / DEFAULT_NAME / "pyproject.toml").read_text()
    assert f'name = "{DEFAULT_NAME}"' in pyproject


def test_the_generated_files_hold_what_was_promised(project: Path) -> None:
    assert main(["init", "My Shop!"]) == 0
    root = project / "My Shop!"
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "my-shop"' in pyproject
    assert 'dependencies = ["stario"]' in pyproject
    assert 'dev = ["pytest>=8"]' in pyproject
    page = (root / "static/index.html").read_text()
    assert f'<script type="module" src="{DATASTAR_URL}"></script>' in page
    assert 'data-signals="{count: 0}"' in page
    assert 'data-on:click="$count++"' in page
    assert 'data-text="$count"' in page
    readme = (root / "README.md").read_text()
    assert "stario serve main:bootstrap" in readme
    assert "python -m pytest" in readme
    main_py = (root / "main.py").read_text()
    compile(main_py, "main.py", "exec")  # valid Python
    assert "async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:" in main_py


def test_init_fills_an_empty_directory(project: Path) -> None:
    (project / "empty").mkdir()
    assert main(["init", "empty"]) == 0
    assert files_under(project / "empty") == FILES


def test_init_refuses_a_non_empty_directory(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "taken").mkdir()
    (project / "taken" / "notes.txt").write_text("mine")
    assert main(["init", "taken"]) == 2
    assert files_under(project / "taken") == {"notes.txt"}
    assert (project / "taken" / "notes.txt").read_text() == "mine"
    err = capsys.readouterr().err
    assert err == "stario: error: taken already exists and is not empty; choose another NAME\n"


def test_init_refuses_a_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "taken").write_text("mine")
    assert main(["init", "taken"]) == 2
    assert (project / "taken").read_text() == "mine"
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize(
    ("directory", "expected"),
    [("shop", "shop"), ("My Shop!", "my-shop"), ("a.b_c-d", "a.b_c-d"), ("---", DEFAULT_NAME)],
)
def test_project_names_are_valid_package_names(
    project: Path, directory: str, expected: str
) -> None:
    assert project_name(project / directory) == expected


@pytest.mark.slow
def test_the_generated_project_passes_its_own_tests(
    project: Path, child_env: dict[str, str]
) -> None:
    assert main(["init", "app"]) == 0
    # Without pytest-asyncio: the generated tests need nothing but pytest.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:asyncio", "-p", "no:cacheprovider"],
        cwd=project / "app",
        env={**child_env, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
