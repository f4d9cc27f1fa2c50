"""Wheel build hook: compile stario's per-request modules to C with mypyc.

A wheel built from this project (``pip install stario``, ``pip install .``, ``pip wheel .``)
compiles the modules listed under ``[tool.hatch.build.targets.wheel.hooks.custom]``
``include`` with mypyc, through the hatch-mypyc plugin. ``STARIO_COMPILE`` chooses:

- ``auto`` (the default): compile; when that fails (no C compiler, no Python headers),
  build the pure-Python wheel instead and say why on stderr;
- ``1``: compile, and fail the build when that fails;
- ``0``: do not compile.

Editable installs (``pip install -e .``) are never compiled: a compiled module would
keep serving the old code after its source is edited. The compiled files that the
plugin writes beside the sources are removed once the wheel is written, so a checkout
stays a plain source tree.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from hatch_mypyc.plugin import MypycBuildHook

_CHOICES = {"auto": "auto", "": "auto", "1": "yes", "0": "no"}


def _mode() -> str:
    raw = os.environ.get("STARIO_COMPILE", "auto").strip().lower()
    if raw not in _CHOICES:
        raise ValueError(f"STARIO_COMPILE must be auto, 1 or 0, not {raw!r}")
    return _CHOICES[raw]


def _say(text: str) -> None:
    print(f"stario build: {text}", file=sys.stderr, flush=True)


class StarioBuildHook(MypycBuildHook):  # type: ignore[misc]
    """hatch-mypyc's hook, with a pure-Python fallback and a clean source tree after."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        mode = _mode()
        if version == "editable":
            _say("editable install: the pure-Python sources are used as they are")
            return
        if mode == "no":
            _say("STARIO_COMPILE=0: building the pure-Python wheel")
            return
        try:
            super().initialize(version, build_data)
        except Exception as exc:
            self.clean([version])
            if mode == "yes":
                raise
            lines = str(exc).strip().splitlines()
            reason = lines[-1] if lines else type(exc).__name__
            if len(reason) > 160:
                reason = reason[:157] + "..."
            _say(f"mypyc compilation failed ({reason}); building the pure-Python wheel")
            _say("set STARIO_COMPILE=1 to make this an error, STARIO_COMPILE=0 to skip it")
            return
        _say("per-request modules compiled with mypyc")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self.target_name == "wheel" and version != "editable":
            self.clean([version])


def get_build_hook() -> type[MypycBuildHook]:
    """The hook class hatchling loads (named, since the plugin's class is imported too)."""
    return StarioBuildHook
