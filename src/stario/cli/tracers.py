"""Turning ``--tracer`` into a `Tracer`.

``auto`` (the span tree on a terminal, JSON lines otherwise), ``json``, ``sqlite``,
``tty``, ``noop`` and ``otel`` are built in; ``MODULE:CALLABLE`` names a zero-argument
factory (a class works) whose result must satisfy the `Tracer` protocol.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from stario.errors import StarioError
from stario.telemetry import JsonTracer, NoopTracer, Tracer, check_tracer

from .loader import LoadError, load_object, one_line
from .options import UsageError

__all__ = ["AVAILABLE", "UNAVAILABLE", "TracerError", "check_tracer_spec", "make_tracer"]

AVAILABLE = ("auto", "json", "sqlite", "tty", "noop", "otel")
"""Tracer names this version builds."""

UNAVAILABLE: tuple[str, ...] = ()
"""Tracer names that exist in the design but not in this version."""


class TracerError(UsageError):
    """``--tracer`` names something that cannot be built; ``str()`` is one line."""


def check_tracer_spec(spec: str) -> None:
    """Reject unknown and unavailable names without importing anything."""
    if spec in AVAILABLE or (spec not in UNAVAILABLE and ":" in spec):
        return
    if spec in UNAVAILABLE:
        raise TracerError(f"--tracer {spec} is not available in this version (use json or noop)")
    raise TracerError(
        f"--tracer must be auto, json, sqlite, tty, noop, otel or MODULE:CALLABLE (got {spec!r})"
    )


def make_tracer(spec: str) -> Tracer:
    """Build the tracer `spec` names, or raise `TracerError` saying what is wrong."""
    check_tracer_spec(spec)
    builder = _BUILTIN.get(spec)
    if builder is None:
        return _custom(spec)
    try:
        return builder()
    except (StarioError, RuntimeError, ValueError, OSError) as exc:
        raise TracerError(f"--tracer {spec}: {one_line(str(exc))}") from None


def _auto() -> Tracer:
    from stario.telemetry.tty import TtyTracer, is_terminal

    return TtyTracer() if is_terminal(sys.stdout) else JsonTracer()


def _sqlite() -> Tracer:
    from stario.telemetry.sqlite import SqliteTracer

    return SqliteTracer()


def _tty() -> Tracer:
    from stario.telemetry.tty import TtyTracer

    return TtyTracer()


def _otel() -> Tracer:
    from stario.telemetry.otel import OtelTracer

    return OtelTracer()


_BUILTIN: dict[str, Callable[[], Tracer]] = {
    "auto": _auto,
    "json": JsonTracer,
    "sqlite": _sqlite,
    "tty": _tty,
    "noop": NoopTracer,
    "otel": _otel,
}


def _custom(spec: str) -> Tracer:
    try:
        factory = load_object(spec, example="mymodule:make_tracer")
    except LoadError as exc:
        raise TracerError(f"--tracer {spec}: {exc}") from None
    if not callable(factory):
        raise TracerError(
            f"--tracer {spec} is a {type(factory).__name__}, not a zero-argument factory"
        )
    try:
        obj = factory()
    except Exception as exc:
        raise TracerError(
            f"--tracer {spec}: calling it raised {type(exc).__name__}: {one_line(str(exc))}"
        ) from None
    try:
        return check_tracer(obj)
    except TypeError as exc:
        raise TracerError(f"--tracer {spec}: {one_line(str(exc))}") from None
