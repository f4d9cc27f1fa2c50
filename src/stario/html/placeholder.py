"""Parameter placeholders that ``@baked`` passes to a template while it is baked.

A placeholder renders as a marker string; the marker records *where* the parameter sits
(child, whole attribute, or part of an attribute value) so the baked function can fill
it with the right escaping. Every other use of a placeholder raises ``TypeError``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, NoReturn

__all__ = ["ATTR", "CHILD", "MARKER_RE", "Fill", "Placeholder", "Recorder", "has_marker"]

# Hex digits survive HTML escaping and JSON encoding unchanged, so a marker copied into
# a context it was not recorded for is still detectable (see has_marker).
_TOKEN = "stario" + secrets.token_hex(8)
MARKER_RE = re.compile("\x00" + _TOKEN + r":(\d+)\x00")

CHILD = "child"
ATTR = "attr"


class Fill:
    """One recorded use of a parameter.

    ``kind`` is ``CHILD`` or ``ATTR``. For ``ATTR``, ``attr`` is the attribute name and
    ``value`` the attribute value as the template wrote it: the placeholder itself, or
    a list/dict holding placeholders, re-rendered with the arguments substituted.
    """

    __slots__ = ("attr", "kind", "param", "value")

    def __init__(self, kind: str, param: str, attr: str, value: Any) -> None:
        self.kind = kind
        self.param = param
        self.attr = attr
        self.value = value


class Recorder:
    """Collects the uses of the parameters of one template while it is baked."""

    __slots__ = ("fills", "template")

    def __init__(self, template: str) -> None:
        self.template = template
        self.fills: list[Fill] = []

    def mark(self, kind: str, param: str, attr: str = "", value: Any = None) -> str:
        """Record a use and return its marker."""
        self.fills.append(Fill(kind, param, attr, value))
        return f"\x00{_TOKEN}:{len(self.fills) - 1}\x00"


def has_marker(text: str) -> bool:
    """True when ``text`` carries a placeholder marker (markup made while baking)."""
    return _TOKEN in text


_RULE = (
    "a @baked template may only place its parameters as children or inside attribute "
    "values (the value itself, a list item, a style or JSON dict value); compute anything "
    "else (conditions, formatting, loops, attribute lookups) in Python before calling "
    "the template and pass the result as a parameter"
)


class Placeholder:
    """Stands in for one template parameter while ``@baked`` calls the template once."""

    __slots__ = ("_stario_param", "_stario_recorder")

    def __init__(self, recorder: Recorder, param: str) -> None:
        self._stario_recorder = recorder
        self._stario_param = param

    def _stario_mark(self, kind: str, attr: str = "", value: Any = None) -> str:
        return self._stario_recorder.mark(kind, self._stario_param, attr, value)

    def _stario_refuse(self, what: str) -> NoReturn:
        raise TypeError(
            f"@baked {self._stario_recorder.template}: parameter {self._stario_param!r} "
            f"was used in {what}; {_RULE}"
        )

    def __repr__(self) -> str:
        return f"<baked parameter {self._stario_param!r}>"

    def __getattr__(self, name: str) -> NoReturn:
        self._stario_refuse(f"an attribute lookup (.{name})")

    def __bool__(self) -> NoReturn:
        self._stario_refuse("a condition (if/and/or/not)")

    def __str__(self) -> NoReturn:
        self._stario_refuse("str() or an f-string")

    def __format__(self, spec: str) -> NoReturn:
        self._stario_refuse("an f-string or format()")

    def __iter__(self) -> NoReturn:
        self._stario_refuse("a loop or unpacking")

    def __len__(self) -> NoReturn:
        self._stario_refuse("len()")

    def __contains__(self, item: object) -> NoReturn:
        self._stario_refuse("an 'in' test")

    def __getitem__(self, key: object) -> NoReturn:
        self._stario_refuse("an index or key lookup")

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        self._stario_refuse("a call")

    def __eq__(self, other: object) -> NoReturn:
        self._stario_refuse("a comparison")

    def __ne__(self, other: object) -> NoReturn:
        self._stario_refuse("a comparison")

    __hash__ = object.__hash__
    __lt__ = __le__ = __gt__ = __ge__ = __eq__

    def __add__(self, other: object) -> NoReturn:
        self._stario_refuse("an arithmetic or string operation")

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __add__
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __add__
    __mod__ = __rmod__ = __pow__ = __rpow__ = __add__

    def __int__(self) -> NoReturn:
        self._stario_refuse("a number conversion")

    __float__ = __index__ = __int__
