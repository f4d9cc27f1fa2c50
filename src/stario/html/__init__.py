"""HTML builder: ``Div({"id": "x"}, "text", Span("child"))`` renders escaped markup.

Leading dicts are attributes, everything after them is a child. Strings are escaped;
``SafeString`` and elements are inserted verbatim. ``render(*nodes)`` gives the markup,
``@baked`` precompiles a template, ``HtmlDocument`` adds the doctype. SVG elements live
in ``stario.html.svg``. See ``docs/html.md``.
"""

from __future__ import annotations

from stario.html.attrs import Attrs
from stario.html.bake import Baked, baked
from stario.html.comment import Comment
from stario.html.document import DOCTYPE, HtmlDocument
from stario.html.elements import *  # noqa: F403 - the catalog is the public API
from stario.html.elements import __all__ as _elements
from stario.html.node import Child, Element, Fragment, Tag, render
from stario.html.safe import HasHtml, SafeString, escape
from stario.html.svg import Svg

__all__ = [
    "DOCTYPE",
    "Attrs",
    "Baked",
    "Child",
    "Comment",
    "Element",
    "Fragment",
    "HasHtml",
    "HtmlDocument",
    "SafeString",
    "Svg",
    "Tag",
    "baked",
    "escape",
    "render",
    *_elements,
]
