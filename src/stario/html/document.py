"""Whole documents: the doctype followed by the ``<html>`` element."""

from __future__ import annotations

from stario.html.attrs import Attrs
from stario.html.node import Child, Element, Tag

__all__ = ["DOCTYPE", "HtmlDocument"]

DOCTYPE = "<!doctype html>"
"""The HTML doctype that puts browsers in standards mode."""

_HTML = Tag("html")


def HtmlDocument(*args: Attrs | Child, lang: str | None = "en") -> Element:
    """``<!doctype html><html lang="en">…</html>`` around ``Head(...)`` and ``Body(...)``.

    Leading dicts become attributes of ``<html>`` (as with any element); ``lang=None``
    leaves ``lang`` out. A single ``Html(...)`` element is used as the root unchanged.
    """
    if len(args) == 1 and isinstance(args[0], Element) and _is_html(args[0].__html__()):
        return Element(DOCTYPE + args[0].__html__())
    root = _HTML({"lang": lang}, *args) if lang is not None else _HTML(*args)
    return Element(DOCTYPE + root.__html__())


def _is_html(markup: str) -> bool:
    return markup.startswith("<html") and markup[5:6] in (">", " ")
