"""The Datastar 1.0 SSE wire format: each event as text, with default values left out.

An event is ``event: <type>``, then ``id:`` and ``retry:`` only when they differ from the
defaults, then one ``data: <key> <value>`` line per value (multi-line values repeat the
key on every line), then a blank line. Everything that reaches a line is checked or split
so that no value can add a line or an event of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any, Final, Literal, Protocol

from stario.responses import check_redirect_target, dumps

__all__ = [
    "DEFAULT_RETRY",
    "MODES",
    "NAMESPACES",
    "PATCH_ELEMENTS",
    "PATCH_SIGNALS",
    "Content",
    "HasHtml",
    "Mode",
    "Namespace",
    "check_mode",
    "check_namespace",
    "check_single_line",
    "encode_signals",
    "markup",
    "navigate_code",
    "patch_elements",
    "patch_signals",
    "script_element",
    "split_lines",
]

PATCH_ELEMENTS: Final = "datastar-patch-elements"
PATCH_SIGNALS: Final = "datastar-patch-signals"
# The reconnection delay Datastar assumes when an event carries no ``retry:`` line.
DEFAULT_RETRY: Final = 1000

Mode = Literal["outer", "inner", "replace", "prepend", "append", "before", "after", "remove"]
Namespace = Literal["html", "svg", "mathml"]
MODES: Final = frozenset(
    {"outer", "inner", "replace", "prepend", "append", "before", "after", "remove"}
)
NAMESPACES: Final = frozenset({"html", "svg", "mathml"})

# The SSE line terminators (HTML Living Standard, "Interpreting an event stream").
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ATTRIBUTE_NAME = re.compile(r"[^\s\"'>/=\x00-\x1f\x7f]+")
# Inside <script>, "</script" ends the element and "<!--" changes how the end is found.
_SCRIPT_END = re.compile(r"<(/script|!--)", re.IGNORECASE)


class HasHtml(Protocol):
    """Anything with ``__html__()``: stario.html nodes, ``SafeString``, markupsafe."""

    def __html__(self) -> str: ...


Content = str | HasHtml


def markup(content: Content) -> str:
    """The HTML text of ``content``: a trusted string as is, or ``content.__html__()``."""
    if isinstance(content, str):
        return content
    html = getattr(content, "__html__", None)
    if html is None:
        raise TypeError(
            f"expected markup (a str or an object with __html__), got {type(content).__name__}"
        )
    text = html()
    if not isinstance(text, str):
        raise TypeError("__html__() must return a str")
    return text


def split_lines(text: str) -> list[str]:
    """``text`` split on CRLF, CR and LF, the three line ends of an event stream."""
    return _LINE_BREAK.split(text)


def check_single_line(value: str, what: str) -> str:
    """Return ``value``, or raise ValueError if it holds a CR, LF or NUL."""
    # SECURITY: a line break would let the value add SSE lines (or split a header).
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValueError(f"{what} must be a single line without CR, LF or NUL: {value!r}")
    return value


def check_mode(mode: str) -> str:
    """Return ``mode``, or raise ValueError if Datastar 1.0 has no such patch mode."""
    if mode not in MODES:
        raise ValueError(f"unknown patch mode {mode!r}; use one of {', '.join(sorted(MODES))}")
    return mode


def check_namespace(namespace: str) -> str:
    """Return ``namespace``, or raise ValueError unless it is html, svg or mathml."""
    if namespace not in NAMESPACES:
        raise ValueError(f"unknown namespace {namespace!r}; use html, svg or mathml")
    return namespace


def _check_retry(retry: int | None) -> None:
    if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int) or retry < 0):
        raise ValueError(f"retry must be a whole number of milliseconds >= 0, got {retry!r}")


def _event(
    kind: str, data: Iterable[str], *, event_id: str | None = None, retry: int | None = None
) -> str:
    # Every item of ``data`` is already a single line (see ``split_lines``).
    parts = [f"event: {kind}\n"]
    if event_id is not None:
        parts.append(f"id: {check_single_line(event_id, 'event_id')}\n")
    _check_retry(retry)
    if retry is not None and retry != DEFAULT_RETRY:
        parts.append(f"retry: {retry}\n")
    parts.extend(f"data: {line}\n" for line in data)
    parts.append("\n")
    return "".join(parts)


def patch_elements(
    content: Content | None,
    *,
    selector: str | None = None,
    mode: str = "outer",
    namespace: str = "html",
    use_view_transition: bool = False,
    view_transition_selector: str | None = None,
    event_id: str | None = None,
    retry: int | None = None,
) -> str:
    """A ``datastar-patch-elements`` event (``content`` None or "" sends no elements)."""
    data: list[str] = []
    if selector:
        data.append(f"selector {check_single_line(selector, 'selector')}")
    if check_mode(mode) != "outer":
        data.append(f"mode {mode}")
    if view_transition_selector:
        check_single_line(view_transition_selector, "view_transition_selector")
    if use_view_transition:
        data.append("useViewTransition true")
        if view_transition_selector:  # Datastar reads it only with a view transition
            data.append(f"viewTransitionSelector {view_transition_selector}")
    if check_namespace(namespace) != "html":
        data.append(f"namespace {namespace}")
    text = "" if content is None else markup(content)
    if text:
        data.extend(f"elements {line}" for line in split_lines(text))
    return _event(PATCH_ELEMENTS, data, event_id=event_id, retry=retry)


def encode_signals(signals: Mapping[str, Any] | str) -> str:
    """Signals as JSON text: a mapping is encoded compactly (UTF-8 kept), a str is used as is."""
    if isinstance(signals, str):
        return signals
    if not isinstance(signals, Mapping):
        raise TypeError(f"signals must be a mapping or JSON text, got {type(signals).__name__}")
    return dumps(signals).decode("utf-8")


def patch_signals(
    signals: Mapping[str, Any] | str,
    *,
    only_if_missing: bool = False,
    event_id: str | None = None,
    retry: int | None = None,
) -> str:
    """A ``datastar-patch-signals`` event (JSON Merge Patch: ``None`` removes a signal)."""
    data = ["onlyIfMissing true"] if only_if_missing else []
    data.extend(f"signals {line}" for line in split_lines(encode_signals(signals)))
    return _event(PATCH_SIGNALS, data, event_id=event_id, retry=retry)


def script_element(
    code: str, *, auto_remove: bool = True, attributes: Mapping[str, str | bool] | None = None
) -> str:
    """A ``<script>`` element running ``code``; it removes itself after running by default.

    Attribute values are HTML-escaped (``True`` writes a bare attribute, ``False`` none).
    A ``</script`` or ``<!--`` inside ``code`` is written as ``<\\/script`` / ``<\\!--``,
    the same text to JavaScript inside a string, so the element cannot end early.
    """
    parts = ["<script"]
    for name, value in (attributes or {}).items():
        if not _ATTRIBUTE_NAME.fullmatch(name):
            raise ValueError(f"invalid attribute name {name!r}")
        if value is True:
            parts.append(f" {name}")
        elif value is not False:
            parts.append(f' {name}="{escape(str(value), quote=True)}"')
    if auto_remove:
        # Datastar 1.0 convention: the effect runs once when the element is applied.
        parts.append(' data-effect="el.remove()"')
    parts.append(">")
    parts.append(_SCRIPT_END.sub(lambda m: "<\\" + m.group(1), code))
    parts.append("</script>")
    return "".join(parts)


def navigate_code(url: str) -> str:
    """JavaScript that sends the browser to ``url`` (checked like a redirect target)."""
    check_redirect_target(url)
    # SECURITY: JSON with ASCII escapes, and <, >, & escaped too, so the URL can neither
    # end the string nor the <script> element that carries the code.
    literal = json.dumps(url)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        literal = literal.replace(char, code)
    return f"window.location.href = {literal};"
