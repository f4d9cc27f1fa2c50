"""JavaScript literals for Datastar expressions: strings, values, regexes and raw code.

Everything here ends up inside a Datastar expression, which Datastar compiles with
``Function()``. Strings are therefore written so that no character of user data can end
the literal, start a new statement, or be mistaken by Datastar for a signal (``$name``)
or an action (``@get(``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["JS", "js_key", "js_object", "js_regex", "js_string", "js_value"]


class JS:
    """Raw JavaScript, inserted into an expression as written (never quoted).

    Use it where a helper would otherwise encode a Python value, e.g.
    ``at.set_all(JS("$defaults.name"))`` or ``request_cancellation=JS("$controller")``.
    """

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def __repr__(self) -> str:
        return f"JS({self.code!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JS) and other.code == self.code

    def __hash__(self) -> int:
        return hash(("JS", self.code))


def _string_table() -> dict[int, str]:
    # SECURITY: every character that could end the literal, break the line, close an
    # enclosing <script>, or be rewritten by Datastar ($signal, @action) is written as
    # a \x / \u escape, so the literal contains no quote and no bare backslash pair.
    table = {c: f"\\x{c:02X}" for c in range(0x20)}
    table[0x7F] = "\\x7F"
    table.update({ord(ch): f"\\x{ord(ch):02X}" for ch in "\\'\"`<>&$@"})
    table[0x2028] = "\\u2028"
    table[0x2029] = "\\u2029"
    return table


_STRING_TABLE = _string_table()
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def js_string(text: str) -> str:
    """``text`` as a single-quoted JavaScript string literal, safe anywhere in markup."""
    return "'" + text.translate(_STRING_TABLE) + "'"


def js_key(name: str) -> str:
    """An object key: bare when it is a plain identifier, else a quoted string."""
    return name if _IDENTIFIER.fullmatch(name) else js_string(name)


# Flags that mean the same in Python and JavaScript regular expressions.
_FLAGS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))
_REGEX_ESCAPES = {"\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def js_regex(pattern: str | re.Pattern[str]) -> str:
    """A JavaScript regex literal (``/.../flags``) for a pattern source or compiled pattern.

    Only the syntax shared by both languages is meaningful; the pattern is not translated.
    Unescaped ``/`` and line breaks are escaped so the literal cannot end early.
    """
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    flags = ""
    if isinstance(pattern, re.Pattern):
        flags = "".join(letter for flag, letter in _FLAGS if pattern.flags & flag)
    return "/" + _regex_body(source) + "/" + flags


def _regex_body(source: str) -> str:
    if not source:
        return "(?:)"  # "//" would start a comment
    out: list[str] = []
    chars = iter(source)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "\\")
            if nxt in _REGEX_ESCAPES:  # "\<newline>" matches a newline, as "\n" does
                out.append(_REGEX_ESCAPES[nxt])
            else:
                # "\$" and "\@" keep their literal meaning but hide from Datastar's rewriting.
                out.append({"$": "\\x24", "@": "\\x40"}.get(nxt, "\\" + nxt))
        elif ch == "/":
            out.append("\\/")
        elif ch == "@":
            out.append("\\x40")
        else:
            out.append(_REGEX_ESCAPES.get(ch, ch))
    return "".join(out)


def js_value(value: Any) -> str:
    """A Python value as a JavaScript literal.

    ``None`` → ``null``, bools, finite numbers, strings (see ``js_string``), compiled
    regexes (see ``js_regex``), mappings with string keys → objects, lists and tuples →
    arrays, and ``JS`` objects as raw code.
    """
    if isinstance(value, JS):
        return value.code
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JavaScript literal form")
        return repr(value)
    if isinstance(value, str):
        return js_string(value)
    if isinstance(value, re.Pattern):
        return js_regex(value)
    if isinstance(value, Mapping):
        return js_object(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(js_value(item) for item in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} as a JavaScript literal")


def js_object(items: Mapping[str, Any]) -> str:
    """A JavaScript object literal; keys must be strings, values go through ``js_value``."""
    parts = []
    for key, item in items.items():
        if not isinstance(key, str):
            raise TypeError(f"object keys must be strings, got {key!r}")
        parts.append(f"{js_key(key)}: {js_value(item)}")
    return "{" + ", ".join(parts) + "}"
