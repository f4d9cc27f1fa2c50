"""Loading ``MODULE:ATTR``: the happy paths and one clear line for each failure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stario.cli import LoadError, load_bootstrap


def load_error(spec: str) -> str:
    with pytest.raises(LoadError) as info:
        load_bootstrap(spec)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_loads_a_function_from_the_current_directory(project: Path) -> None:
    (project / "cli_app_a.py").write_text("async def bootstrap(app, span):\n    pass\n")
    fn = load_bootstrap("cli_app_a:bootstrap")
    assert fn.__name__ == "bootstrap"
    assert sys.path[0] == str(project)


def test_follows_a_dotted_attribute_path(project: Path) -> None:
    (project / "cli_app_b.py").write_text(
        "class Holder:\n    class Inner:\n        @staticmethod\n"
        "        def bootstrap(app, span):\n            return None\n"
    )
    assert load_bootstrap("cli_app_b:Holder.Inner.bootstrap").__name__ == "bootstrap"


def test_loads_from_a_package_submodule(project: Path) -> None:
    (project / "cli_pkg_c").mkdir()
    (project / "cli_pkg_c" / "__init__.py").write_text("")
    (project / "cli_pkg_c" / "main.py").write_text("def bootstrap(app, span):\n    pass\n")
    assert load_bootstrap("cli_pkg_c.main:bootstrap").__module__ == "cli_pkg_c.main"


@pytest.mark.parametrize("spec", ["main", "main:", ":bootstrap", ""])
def test_missing_colon_or_part(spec: str, project: Path) -> None:
    assert load_error(spec).endswith("expected MODULE:ATTR, e.g. main:bootstrap")


@pytest.mark.parametrize(
    ("spec", "hint"), [("main.py:bootstrap", "main:bootstrap"), ("app/main:boot", "app.main:boot")]
)
def test_a_file_path_instead_of_a_module_name(spec: str, hint: str, project: Path) -> None:
    assert load_error(spec).endswith(f"not a file: {hint}")


def test_module_not_found(project: Path) -> None:
    text = load_error("cli_nowhere_d:bootstrap")
    assert text.startswith("cannot import 'cli_nowhere_d': no module named 'cli_nowhere_d'")
    assert str(project) in text


def test_submodule_of_existing_package_not_found(project: Path) -> None:
    (project / "cli_pkg_e").mkdir()
    (project / "cli_pkg_e" / "__init__.py").write_text("")
    text = load_error("cli_pkg_e.missing:bootstrap")
    assert text.startswith("cannot import 'cli_pkg_e.missing': no module named 'cli_pkg_e.missing'")


def test_import_error_inside_the_app_is_shown_as_such(project: Path) -> None:
    (project / "cli_app_f.py").write_text("import os\nimport cli_dependency_not_installed\n")
    text = load_error("cli_app_f:bootstrap")
    assert text == (
        "error while importing 'cli_app_f': ModuleNotFoundError: "
        "No module named 'cli_dependency_not_installed' (cli_app_f.py:2)"
    )


def test_exception_at_import_time_names_the_line(project: Path) -> None:
    (project / "cli_app_g.py").write_text("import os\n\nDB = os.environ['CLI_TEST_NOT_SET_X']\n")
    text = load_error("cli_app_g:bootstrap")
    assert text.startswith("error while importing 'cli_app_g': KeyError: 'CLI_TEST_NOT_SET_X'")
    assert text.endswith("(cli_app_g.py:3)")


def test_multi_line_error_message_becomes_one_line(project: Path) -> None:
    (project / "cli_app_h.py").write_text("raise RuntimeError('first\\nsecond')\n")
    assert load_error("cli_app_h:bootstrap").endswith("RuntimeError: first second (cli_app_h.py:1)")


def test_syntax_error_shows_file_line_and_message(project: Path) -> None:
    (project / "cli_app_i.py").write_text("x = 1\n\ndef bootstrap(:\n    pass\n")
    assert load_error("cli_app_i:bootstrap").startswith("cli_app_i.py:3: SyntaxError: ")


def test_missing_attribute_lists_callables_defined_in_the_module(project: Path) -> None:
    (project / "cli_app_j.py").write_text(
        "from os import path, getcwd\n\n"
        "async def bootstrap(app, span):\n    pass\n\n"
        "def home(c, w):\n    pass\n\n"
        "class Settings:\n    pass\n\n"
        "def _private():\n    pass\n\nNUMBER = 3\n"
    )
    assert load_error("cli_app_j:bootstrp") == (
        "module 'cli_app_j' has no attribute 'bootstrp' "
        "(callables defined there: Settings, bootstrap, home)"
    )


def test_missing_attribute_in_a_module_without_callables(project: Path) -> None:
    (project / "cli_app_k.py").write_text("NUMBER = 3\n")
    assert load_error("cli_app_k:bootstrap").endswith("(it defines no public callables)")


def test_missing_nested_attribute_names_the_owner(project: Path) -> None:
    (project / "cli_app_l.py").write_text("class Holder:\n    pass\n")
    assert load_error("cli_app_l:Holder.bootstrap") == (
        "cli_app_l:Holder has no attribute 'bootstrap'"
    )


def test_not_callable(project: Path) -> None:
    (project / "cli_app_m.py").write_text("bootstrap = 42\n")
    assert load_error("cli_app_m:bootstrap") == "cli_app_m:bootstrap is not callable (type int)"
