"""Trusted markup (``SafeString``) and the escaping functions for text and attributes."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["HasHtml", "SafeString", "escape", "escape_attr", "escape_text"]


@runtime_checkable
class HasHtml(Protocol):
    """Anything that renders itself as markup: ``SafeString``, elements, baked results."""

    def __html__(self) -> str: ...


class SafeString(str):
    """A ``str`` holding trusted markup; it is inserted verbatim, never escaped.

    SECURITY: only wrap text you produced or sanitised yourself. ``SafeString(user_input)``
    puts whatever the user typed into the page as HTML.
    """

    __slots__ = ()

    def __html__(self) -> SafeString:
        """Return the markup itself."""
        return self

    def __repr__(self) -> str:
        return f"SafeString({str.__repr__(self)})"


def escape_text(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so ``text`` is inert between tags."""
    # PERF: most text needs no escaping and `in` tests are cheaper than method calls;
    # chained str.replace beats str.translate and html.escape when escaping is needed.
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def escape_attr(text: str) -> str:
    """Escape ``& < > " '`` so ``text`` is inert inside a quoted attribute value."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("'", "&#39;")
        )
    return text


def escape(text: str) -> SafeString:
    """Escape ``text`` for any HTML context (text or attribute value); ``SafeString`` stays."""
    if isinstance(text, SafeString):
        return text
    return SafeString(escape_attr(text))
