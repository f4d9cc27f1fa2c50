"""The ``stario`` command line: ``stario serve``, ``stario watch``, ``stario --version``.

`main` is the console script; `build_config` turns a command line and an
environment into a `ServerConfig` without side effects.
"""

from __future__ import annotations

from .loader import LoadError, load_bootstrap
from .main import Invocation, build_config, main, parse
from .options import OPTIONS, Option, UsageError
from .tracers import TracerError, make_tracer

__all__ = [
    "OPTIONS",
    "Invocation",
    "LoadError",
    "Option",
    "TracerError",
    "UsageError",
    "build_config",
    "load_bootstrap",
    "main",
    "make_tracer",
    "parse",
]
