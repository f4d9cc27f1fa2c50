"""Datastar 1.0 attribute syntax: ``data-<plugin>:<key>__<modifier>.<tag>``, keys, durations.

Browsers lower-case attribute names, and Datastar turns a key back into a name: signal
keys are camel-cased (``my-signal`` → ``mySignal``), other keys (events, classes,
attributes, styles) are used as written unless a ``__case`` modifier says otherwise.
The helpers here write keys that survive both steps, or refuse names that cannot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypedDict

from stario.datastar.js import js_regex

__all__ = [
    "Duration",
    "Pattern",
    "Timing",
    "attribute",
    "duration",
    "filter_object",
    "name_key",
    "signal_key",
    "signal_path",
    "timing",
]

Duration = int | str
"""A time: an int in milliseconds, or Datastar's own form such as ``"500ms"`` or ``"2s"``."""

Pattern = str | re.Pattern[str]
"""A regular expression (source or compiled) matched against signal paths."""


class Timing(TypedDict, total=False):
    """Timing modifiers shared by ``data-on`` and its relatives.

    ``delay``, ``debounce`` and ``throttle`` take a ``Duration``. A debounce fires on the
    trailing edge by default (``debounce_leading=True`` adds the leading edge,
    ``debounce_trailing=False`` drops the trailing one); a throttle fires on the leading
    edge by default (``throttle_leading=False``, ``throttle_trailing=True`` change that).
    """

    delay: Duration
    debounce: Duration
    debounce_leading: bool
    debounce_trailing: bool
    throttle: Duration
    throttle_leading: bool
    throttle_trailing: bool


_DURATION = re.compile(r"\d+(?:ms|s)")
# A signal path as Python code usually spells it: identifiers joined by dots.
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_KEY_NAME = re.compile(r"[A-Za-z0-9_-]+")
_UPPER = re.compile(r"[A-Z]")


def duration(value: Duration) -> str:
    """A modifier tag for a time: ``500`` → ``500ms``; ``"1s"`` and ``"250ms"`` kept."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a duration is an int (ms) or a str like '500ms', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value}")
        return f"{value}ms"
    if not _DURATION.fullmatch(value):
        raise ValueError(f"invalid duration {value!r}; use an int (ms) or a str like '500ms'")
    return value


def timing(options: Timing) -> list[str]:
    """The ``delay``/``debounce``/``throttle`` modifiers for ``options``, defaults left out."""
    mods: list[str] = []
    if "delay" in options:
        mods.append(f"delay.{duration(options['delay'])}")
    debounce = (options.get("debounce_leading", False), options.get("debounce_trailing", True))
    mods.extend(_edges("debounce", options.get("debounce"), debounce, default=(False, True)))
    throttle = (options.get("throttle_leading", True), options.get("throttle_trailing", False))
    mods.extend(_edges("throttle", options.get("throttle"), throttle, default=(True, False)))
    return mods


def _edges(
    kind: str, time: Duration | None, edges: tuple[bool, bool], *, default: tuple[bool, bool]
) -> list[str]:
    if time is None:
        if edges != default:
            raise ValueError(f"{kind}_leading/{kind}_trailing need {kind}=<duration>")
        return []
    tags = [kind, duration(time)]
    if edges[0] != default[0]:
        tags.append("leading" if edges[0] else "noleading")
    if edges[1] != default[1]:
        tags.append("trailing" if edges[1] else "notrailing")
    return [".".join(tags)]


def attribute(plugin: str, key: str | None = None, modifiers: Iterable[str] = ()) -> str:
    """An attribute name: ``data-<plugin>[:<key>][__<modifier>...]``."""
    name = f"data-{plugin}" if key is None else f"data-{plugin}:{key}"
    return name + "".join(f"__{mod}" for mod in modifiers)


def signal_path(name: str) -> str:
    """Return ``name`` if it is a signal path (``count``, ``form.user_name``), else raise."""
    if not isinstance(name, str) or not _PATH.fullmatch(name):
        raise ValueError(
            f"invalid signal name {name!r}: use letters, digits and underscores, "
            "with dots for nesting (e.g. 'form.user_name')"
        )
    return name


def signal_key(name: str) -> str:
    """The attribute key that Datastar turns back into the signal name ``name``.

    Upper-case letters become ``-`` + lower case, which Datastar's default camel casing
    undoes (``userName`` → ``user-name`` → ``userName``); ``_`` is left alone, so
    snake_case names survive as they are. Names with ``__`` (Datastar's modifier
    separator) or a trailing ``_`` cannot be keys; use the value or object forms.
    """
    signal_path(name)
    if "__" in name or name.endswith("_"):
        raise ValueError(
            f"signal name {name!r} cannot be an attribute key ('__' separates modifiers); "
            "use the object form, e.g. data.signals({...}) or data.computed({...})"
        )
    return _UPPER.sub(lambda m: "-" + m.group().lower(), name)


def name_key(name: str, what: str) -> tuple[str, list[str]]:
    """The key and ``__case`` modifier for an event, class, attribute or style name.

    Lower-case names are written as they are. A name with capitals is written in kebab
    case with ``__case.camel``, so ``widgetLoaded`` reaches Datastar as ``widgetLoaded``.
    """
    if not isinstance(name, str) or not _KEY_NAME.fullmatch(name):
        raise ValueError(
            f"invalid {what} {name!r} for an attribute key: use letters, digits, '-' and '_' "
            "(other names work in the mapping form)"
        )
    if "__" in name or name.endswith("_"):
        raise ValueError(f"{what} {name!r} cannot be an attribute key ('__' separates modifiers)")
    if not _UPPER.search(name):
        return name, []
    if "-" in name:
        raise ValueError(f"{what} {name!r} mixes capitals and '-'; use the mapping form")
    return _UPPER.sub(lambda m: "-" + m.group().lower(), name), ["case.camel"]


def filter_object(include: Pattern | None, exclude: Pattern | None) -> str | None:
    """``{include: /.../, exclude: /.../}`` with the given parts, or None if neither."""
    parts = []
    if include is not None:
        parts.append(f"include: {js_regex(include)}")
    if exclude is not None:
        parts.append(f"exclude: {js_regex(exclude)}")
    return "{" + ", ".join(parts) + "}" if parts else None
