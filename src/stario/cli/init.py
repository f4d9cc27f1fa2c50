"""``stario init [NAME]``: write a small, runnable project from built-in templates.

Everything is a string in this module, so it works offline and the result never
depends on a network or a template registry. An existing non-empty directory is
never touched.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .options import UsageError

__all__ = [
    "DATASTAR_URL",
    "DEFAULT_NAME",
    "add_init_command",
    "create_project",
    "project_files",
    "project_name",
    "run_init",
]

DEFAULT_NAME = "stario-app"
"""The directory ``stario init`` creates when no NAME is given."""

DATASTAR_URL = "https://cdn.jsdelivr.net/gh/starfederation/datastar@1.0.0/bundles/datastar.js"
"""The Datastar bundle the generated page loads (version-pinned, as a module script)."""

_DESCRIPTION = (
    "Create directory NAME with a runnable stario project: main.py (bootstrap, a page "
    "route and a JSON route), static/index.html (a Datastar counter), tests/test_main.py, "
    "pyproject.toml and README.md. Works offline; refuses a non-empty directory."
)

P = TypeVar("P", bound=argparse.ArgumentParser)

# --- templates (the project name replaces __NAME__; it is [a-z0-9._-] only) -------------

_MAIN = '''"""__NAME__: a stario app with a Datastar page and a JSON endpoint.

Run it with ``stario serve main:bootstrap`` and open http://127.0.0.1:8000.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from stario import App, Context, Handler, Span, Writer, responses

STATIC = Path(__file__).parent / "static"


def page(html: str) -> Handler:
    """A handler that answers with ``html``."""

    async def handler(c: Context, w: Writer) -> None:
        responses.html(w, html)

    return handler


async def hello(c: Context, w: Writer) -> None:
    """Greet ``?name=`` (default: world) as JSON."""
    name = c.req.query.get("name") or "world"
    responses.json(w, {"message": f"Hello, {name}!"})


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    """Setup runs before the server listens; the code after ``yield`` is teardown."""
    span.attr("app.name", "__NAME__")
    index = (STATIC / "index.html").read_text("utf-8")
    app.get("/", page(index), name="index")
    app.get("/api/hello", hello, name="hello")
    yield
    # Close here what setup opened (database pools, clients): it runs after the
    # server has finished the requests in flight.
'''

_TESTS = '''"""Tests for main.py: requests go through stario's real HTTP code, in memory."""

from __future__ import annotations

from stario.testing import TestClient

from main import bootstrap


def test_index_serves_the_datastar_page() -> None:
    with TestClient(bootstrap) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "datastar.js" in response.text
    assert 'data-on:click="$count++"' in response.text


def test_hello_answers_json() -> None:
    with TestClient(bootstrap) as client:
        anonymous = client.get("/api/hello")
        named = client.get("/api/hello", params={"name": "Ada"})
    assert anonymous.status_code == 200
    assert anonymous.json() == {"message": "Hello, world!"}
    assert named.json() == {"message": "Hello, Ada!"}


def test_unknown_paths_are_404() -> None:
    with TestClient(bootstrap) as client:
        assert client.get("/nope").status_code == 404
'''

_INDEX = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>__NAME__</title>
  <script type="module" src="{DATASTAR_URL}"></script>
</head>
<body>
  <h1>__NAME__</h1>
  <p>This page is <code>static/index.html</code>, served by <code>main.py</code>.</p>
  <div data-signals="{{count: 0}}">
    <button data-on:click="$count++">Add one</button>
    <p>Count: <strong data-text="$count">0</strong></p>
  </div>
  <p>The JSON route: <a href="/api/hello?name=you">/api/hello?name=you</a></p>
</body>
</html>
"""

_PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "__NAME__"
version = "0.1.0"
description = "A stario app."
requires-python = ">=3.11"
dependencies = ["stario"]

[project.optional-dependencies]
dev = ["pytest>=8"]

[tool.setuptools]
py-modules = ["main"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
"""

_README = """# __NAME__

A stario app: `main.py` serves a Datastar page
(`static/index.html`) at `/` and JSON at `/api/hello?name=you`.

```console
$ python -m pip install -e ".[dev]"
$ stario serve main:bootstrap      # http://127.0.0.1:8000 (stario watch ... reloads on edits)
$ python -m pytest                 # the tests in tests/
```
"""

_GITIGNORE = """__pycache__/
.venv/
.pytest_cache/
*.sqlite3
*.sqlite3-*
"""

_TEMPLATES: dict[str, str] = {
    "main.py": _MAIN,
    "tests/test_main.py": _TESTS,
    "static/index.html": _INDEX,
    "pyproject.toml": _PYPROJECT,
    "README.md": _README,
    ".gitignore": _GITIGNORE,
}


# --- building ------------------------------------------------------------------------------


def project_name(directory: Path) -> str:
    """A valid package name (PEP 508 characters) for `directory`, e.g. ``"My App"`` → ``my-app``."""
    base = directory.resolve().name
    name = re.sub(r"[^a-z0-9._-]+", "-", base.lower()).strip("-._")
    return name or DEFAULT_NAME


def project_files(name: str) -> dict[str, str]:
    """The files of a new project called `name`: relative path → text."""
    return {path: text.replace("__NAME__", name) for path, text in _TEMPLATES.items()}


def create_project(directory: Path) -> list[Path]:
    """Write a new project into `directory` and return the files, relative to it.

    `directory` may be missing or an empty directory; anything else raises
    `UsageError` and nothing is written.
    """
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory; choose another NAME")
    if directory.is_dir() and any(directory.iterdir()):
        raise UsageError(f"{directory} already exists and is not empty; choose another NAME")
    written: list[Path] = []
    try:
        for relative, text in project_files(project_name(directory)).items():
            path = directory / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(Path(relative))
    except OSError as exc:
        raise UsageError(
            f"cannot create {exc.filename or directory}: {exc.strerror or exc}"
        ) from None
    return written


def run_init(name: str, out: Callable[[str], None] | None = None) -> int:
    """``stario init NAME``: create the project, print what was made and what to run next."""
    say = out or _stdout
    directory = Path(name)
    files = create_project(directory)
    say(f"stario: created {directory}/")
    for path in sorted(files, key=str):
        say(f"  {path.as_posix()}")
    say("next:")
    if directory.resolve() != Path.cwd().resolve():
        say(f"  cd {shlex.quote(name)}")
    say('  python -m pip install -e ".[dev]"')
    say("  stario serve main:bootstrap")
    say("  python -m pytest")
    return 0


def _stdout(line: str) -> None:
    print(line, file=sys.stdout, flush=True)


def add_init_command(commands: argparse._SubParsersAction[P]) -> P:
    """Register ``init [NAME]`` on the ``stario`` subcommands."""
    parser = commands.add_parser(
        "init", help="create a new project", description=_DESCRIPTION, allow_abbrev=False
    )
    parser.add_argument(
        "name",
        nargs="?",
        default=DEFAULT_NAME,
        metavar="NAME",
        help=f"directory to create (default: {DEFAULT_NAME})",
    )
    return parser
