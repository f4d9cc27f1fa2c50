"""Finding the user's ``bootstrap`` (or a tracer factory) from a ``MODULE:ATTR`` string.

The module is imported with the current directory first on ``sys.path``, like
``python -m``. Every failure becomes a `LoadError` whose message fits on one line
and says which of the many things that can go wrong did.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["LoadError", "describe_error", "load_bootstrap", "load_object", "one_line"]

_MAX_LISTED = 8


class LoadError(Exception):
    """The object named by ``MODULE:ATTR`` could not be loaded; ``str()`` is one line."""


def load_bootstrap(spec: str) -> Callable[..., Any]:
    """Import ``MODULE`` and return the callable at ``ATTR`` (dotted paths allowed)."""
    obj = load_object(spec)
    if not callable(obj):
        raise LoadError(f"{spec} is not callable (type {type(obj).__name__})")
    return obj


def load_object(spec: str, *, example: str = "main:bootstrap") -> object:
    """Import ``MODULE`` of ``MODULE:ATTR`` and return ``ATTR`` (``a.b`` walks attributes).

    `example` is shown when `spec` is not of that form. Raises `LoadError`.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise LoadError(f"invalid {spec!r}: expected MODULE:ATTR, e.g. {example}")
    _check_module_name(spec, module_name, attr)
    _cwd_first_on_path()
    module = _import(module_name)
    return _walk(module, module_name, attr)


def _check_module_name(spec: str, module_name: str, attr: str) -> None:
    # A file path here would import the wrong thing (or run the file as a package).
    if module_name.endswith(".py") or "/" in module_name or os.sep in module_name:
        dotted = module_name.removesuffix(".py").strip("./").replace("/", ".").replace(os.sep, ".")
        raise LoadError(f"invalid {spec!r}: MODULE is a module name, not a file: {dotted}:{attr}")


def _cwd_first_on_path() -> None:
    cwd = os.getcwd()
    if sys.path[:1] not in ([cwd], [""]):
        sys.path.insert(0, cwd)
    # Files written since the last import (tests, generators) must be found.
    importlib.invalidate_caches()


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise LoadError(
                f"cannot import {name!r}: no module named {exc.name!r} "
                f"in {os.getcwd()} or on sys.path"
            ) from None
        raise LoadError(_inner_error(name, exc)) from None
    except SyntaxError as exc:
        raise LoadError(_syntax_error(exc)) from None
    except Exception as exc:
        raise LoadError(_inner_error(name, exc)) from None


def _walk(module: ModuleType, module_name: str, attr: str) -> object:
    obj: object = module
    done: list[str] = []
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            if not done:
                raise LoadError(
                    f"module {module_name!r} has no attribute {part!r} ({_callables(module)})"
                ) from None
            owner = f"{module_name}:{'.'.join(done)}"
            raise LoadError(f"{owner} has no attribute {part!r}") from None
        done.append(part)
    return obj


def _callables(module: ModuleType) -> str:
    # Functions and classes defined in the module itself, not everything it imported.
    names = sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == module.__name__
    )
    if not names:
        return "it defines no public callables"
    shown = ", ".join(names[:_MAX_LISTED])
    more = f", ... {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else ""
    return f"callables defined there: {shown}{more}"


def _syntax_error(exc: SyntaxError) -> str:
    where = f"{_relative(exc.filename or '<unknown>')}:{exc.lineno or '?'}"
    return f"{where}: {type(exc).__name__}: {exc.msg}"


def _inner_error(name: str, exc: BaseException) -> str:
    return f"error while importing {name!r}: {describe_error(exc)}"


def describe_error(exc: BaseException) -> str:
    """``Type: message (file:line)`` on one line; the line is the deepest in the project."""
    where = _user_frame(traceback.extract_tb(exc.__traceback__))
    return f"{type(exc).__name__}: {one_line(str(exc))}{where}"


def _user_frame(frames: traceback.StackSummary) -> str:
    # The deepest frame in the project is the line to fix; stdlib frames are not.
    cwd = os.getcwd() + os.sep
    ours = [f for f in frames if f.filename.startswith(cwd)]
    mine = ours or [f for f in frames if not f.filename.startswith("<")]
    return f" ({_relative(mine[-1].filename)}:{mine[-1].lineno})" if mine else ""


def _relative(path: str) -> str:
    cwd = os.getcwd()
    if os.path.isabs(path) and path.startswith(cwd + os.sep):
        return os.path.relpath(path, cwd)
    return path


def one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) turned into one space."""
    return " ".join(text.split())
