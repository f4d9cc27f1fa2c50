"""Turning ``--tracer`` into a `Tracer`.

``json`` and ``noop`` are built in; ``MODULE:CALLABLE`` names a zero-argument factory
(a class works) whose result must satisfy the `Tracer` protocol. ``sqlite``, ``tty``
and ``otel`` are accepted names that this version cannot build yet; they fail with a
clear message instead of silently falling back to something else.
"""

from __future__ import annotations

from stario.telemetry import JsonTracer, NoopTracer, Tracer, check_tracer

from .loader import LoadError, load_object, one_line
from .options import UsageError

__all__ = ["AVAILABLE", "UNAVAILABLE", "TracerError", "check_tracer_spec", "make_tracer"]

AVAILABLE = ("auto", "json", "noop")
"""Tracer names this version builds."""

UNAVAILABLE = ("sqlite", "tty", "otel")
"""Tracer names that exist in the design but not in this version."""


class TracerError(UsageError):
    """``--tracer`` names something that cannot be built; ``str()`` is one line."""


def check_tracer_spec(spec: str) -> None:
    """Reject unknown and unavailable names without importing anything."""
    if spec in AVAILABLE or (spec not in UNAVAILABLE and ":" in spec):
        return
    if spec in UNAVAILABLE:
        raise TracerError(f"--tracer {spec} is not available in this version (use json or noop)")
    raise TracerError(f"--tracer must be auto, json, noop or MODULE:CALLABLE (got {spec!r})")


def make_tracer(spec: str) -> Tracer:
    """Build the tracer `spec` names, or raise `TracerError` saying what is wrong."""
    check_tracer_spec(spec)
    # auto: the tty span tree on a terminal arrives in a later release; until then
    # auto currently picks json, which is also what it picks without a terminal.
    if spec in ("auto", "json"):
        return JsonTracer()
    if spec == "noop":
        return NoopTracer()
    return _custom(spec)


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
