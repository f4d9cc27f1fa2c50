"""Elements: ``Tag`` factories build ``Element`` nodes that hold their rendered markup.

An element is rendered when it is built: attributes and children are escaped once and
the node keeps the resulting string, so a parent only joins strings and ``render`` never
walks a tree. Nodes are immutable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import GeneratorType
from typing import Any, TypeAlias

from stario.html.attrs import Attrs, merge_attrs, render_attrs
from stario.html.placeholder import CHILD, Placeholder
from stario.html.safe import HasHtml, SafeString, escape_text

__all__ = ["Child", "Element", "Fragment", "Tag", "render"]

Child: TypeAlias = str | int | float | HasHtml | Iterable[Any] | None
"""What may follow the attribute dicts: text, numbers, nodes, ``None``/bools, iterables."""

# Tag names: a letter, then anything that cannot end or confuse the tag.
_TAG_NAME = re.compile(r"[A-Za-z][^\s\"'<>/=&\x00-\x1f\x7f]*\Z")


class Element:
    """A rendered HTML/SVG element; ``str(el)`` and ``el.__html__()`` give its markup."""

    __slots__ = ("_html",)

    def __init__(self, html: str) -> None:
        self._html = html

    def __html__(self) -> str:
        """Return the markup."""
        return self._html

    def __str__(self) -> str:
        return self._html

    def __repr__(self) -> str:
        text = self._html if len(self._html) <= 60 else self._html[:57] + "..."
        return f"Element({text!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Element):
            return self._html == other._html
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._html)


class BakedElement(Element):
    """What a ``@baked`` template returns: an ``Element`` in every respect (markup,
    equality, ``repr``), made without ``Element.__init__``."""

    __slots__ = ()
    # PERF: with object.__init__ as __init__, CPython uses the C slot directly, so
    # ``BakedElement()`` allocates without a Python frame or an argument tuple; that
    # is 30-40 ns less per call than ``object.__new__(Element)``.
    __init__ = object.__init__


def _is_attrs(arg: object) -> bool:
    # PERF: exact-type checks first; the Mapping ABC check only runs for odd types.
    t = type(arg)
    if t is dict:
        return True
    if t is str or t is Element or t is BakedElement:
        return False
    return isinstance(arg, Mapping)


class Tag:
    """An element factory: ``Div({"id": "x"}, "text", Span("child"))`` -> ``Element``.

    Leading dicts are attributes (merged left to right, ``class`` concatenated); every
    following argument is a child. ``void`` elements take no children; ``self_closing``
    elements (SVG) render ``<x/>`` when they have none.
    """

    __slots__ = ("_close", "_empty", "_start", "name", "self_closing", "void")

    def __init__(self, name: str, *, void: bool = False, self_closing: bool = False) -> None:
        if not isinstance(name, str):
            raise TypeError(
                f"tag names must be str, got {type(name).__name__} {name!r}"
                " (a @baked parameter can never be a tag name)"
            )
        if not _TAG_NAME.match(name):
            raise ValueError(f"invalid tag name {name!r}")
        self.name = name
        self.void = void
        self.self_closing = self_closing
        self._start = f"<{name}"
        self._close = "" if void else f"</{name}>"
        self._empty = f"<{name}/>" if self_closing else f"<{name}>{self._close}"

    def __repr__(self) -> str:
        return f"Tag({self.name!r})"

    def __call__(self, *args: Attrs | Child) -> Element:
        """Build the element from attribute dicts followed by children."""
        if not args:
            return Element(self._empty)
        first = args[0]
        t = type(first)
        # PERF: the usual shapes (no attributes, or one dict) avoid counting and merging.
        if t is str or t is Element or t is BakedElement:
            return self._build(self._start, args)
        if t is dict and (len(args) == 1 or not _is_attrs(args[1])):
            return self._build(self._start + render_attrs(first), args[1:])  # type: ignore[arg-type]
        i = 0
        while i < len(args) and _is_attrs(args[i]):
            i += 1
        if i == 0:
            return self._build(self._start, args)
        attrs = args[0] if i == 1 else merge_attrs(args[:i])  # type: ignore[arg-type]
        return self._build(self._start + render_attrs(attrs), args[i:])  # type: ignore[arg-type]

    def _build(self, start: str, children: tuple[Any, ...]) -> Element:
        if not children:
            if self.void:
                return Element(start + ">")
            return Element(start + ("/>" if self.self_closing else ">" + self._close))
        if self.void:
            raise TypeError(f"<{self.name}> is a void element and cannot have children")
        if len(children) == 1:
            # PERF: one text or element child is the common case; skip the list.
            child = children[0]
            t = type(child)
            if t is str:
                return Element(f"{start}>{escape_text(child)}{self._close}")
            if t is Element or t is BakedElement:
                return Element(f"{start}>{child._html}{self._close}")
        parts = [start, ">"]
        add_children(parts, children)
        parts.append(self._close)
        return Element("".join(parts))


def add_children(parts: list[str], children: Iterable[Any]) -> None:
    """Append the markup of ``children`` to ``parts`` (text escaped, nodes verbatim)."""
    for child in children:
        t = type(child)
        if t is str:
            parts.append(escape_text(child))
        elif t is Element or t is BakedElement:
            parts.append(child._html)
        elif child is None or t is bool:
            continue
        elif t is list or t is tuple:
            add_children(parts, child)
        elif t is SafeString:
            parts.append(child)
        else:
            _add_other(parts, child)


def _add_other(parts: list[str], child: Any) -> None:
    # Order matters: placeholders refuse attribute lookups, so they are tested first,
    # and hasattr() is slow for objects without __html__, so plain types come before it.
    if isinstance(child, Placeholder):
        parts.append(child._stario_mark(CHILD))
    elif isinstance(child, str):
        parts.append(child.__html__() if hasattr(child, "__html__") else escape_text(child))
    elif isinstance(child, int | float):
        parts.append(str(child))
    elif isinstance(child, GeneratorType):
        add_children(parts, child)
    elif hasattr(child, "__html__"):
        parts.append(child.__html__())
    elif isinstance(child, Mapping):
        raise TypeError(
            f"attribute dicts must come before all children; got a dict after a child: {child!r}"
        )
    elif isinstance(child, Tag):
        raise TypeError(f"got the factory {child.name!r} as a child; call it: {child!r}()")
    elif isinstance(child, bytes | bytearray | memoryview):
        raise TypeError("bytes are not a valid child; decode them to str first")
    elif isinstance(child, Iterable):
        add_children(parts, child)
    else:
        raise TypeError(
            f"unsupported child type {type(child).__name__}: {child!r}; use str, int, "
            "float, None, an element, SafeString or a list of those"
        )


def child_markup(child: Any) -> str:
    """Markup for one child value (used by ``@baked`` to fill child parameters)."""
    t = type(child)
    if t is BakedElement or t is Element:
        return child._html  # type: ignore[no-any-return]
    if t is list or t is tuple:
        # PERF: a list of elements (e.g. rows from another baked template) is common.
        out = ""
        for item in child:
            u = type(item)
            out += item._html if u is BakedElement or u is Element else child_markup(item)
        return out
    parts: list[str] = []
    add_children(parts, (child,))
    return "".join(parts)


def render(*nodes: Child) -> SafeString:
    """Render any mix of elements, strings (escaped), ``SafeString``s and lists."""
    parts: list[str] = []
    add_children(parts, nodes)
    return SafeString("".join(parts))


def Fragment(*children: Child) -> Element:
    """Group children without a wrapping element: ``Fragment(H1("a"), P("b"))``."""
    parts: list[str] = []
    add_children(parts, children)
    return Element("".join(parts))
