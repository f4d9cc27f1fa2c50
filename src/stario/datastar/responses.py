"""One-shot Datastar answers without an event stream: HTML, JSON signals, JavaScript.

Datastar 1.0 treats a ``text/html`` answer to ``@get``/``@post``... as one element patch,
``application/json`` as one signal patch and ``text/javascript`` as a script to run; the
patch options travel in ``datastar-*`` response headers, sent only when not the default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stario.datastar.events import (
    Content,
    Mode,
    Namespace,
    check_mode,
    check_namespace,
    check_single_line,
    encode_signals,
    markup,
)
from stario.writer import Writer

__all__ = ["execute_script_response", "patch_elements_response", "patch_signals_response"]


def _header_value(value: str, what: str) -> str:
    check_single_line(value, what)
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{what} must be latin-1 text to travel in a header: {value!r}") from None
    return value


def patch_elements_response(
    w: Writer,
    content: Content,
    *,
    selector: str | None = None,
    mode: Mode = "outer",
    namespace: Namespace = "html",
    use_view_transition: bool = False,
    status: int = 200,
) -> None:
    """Answer with ``content`` as ``text/html`` for Datastar to patch into the page.

    Non-default options go in ``datastar-selector``, ``datastar-mode``,
    ``datastar-namespace`` and ``datastar-use-view-transition`` headers.
    """
    if selector:
        w.headers.set("datastar-selector", _header_value(selector, "selector"))
    if check_mode(mode) != "outer":
        w.headers.set("datastar-mode", mode)
    if check_namespace(namespace) != "html":
        w.headers.set("datastar-namespace", namespace)
    if use_view_transition:
        w.headers.set("datastar-use-view-transition", "true")
    w.respond(markup(content).encode("utf-8"), "text/html; charset=utf-8", status)


def patch_signals_response(
    w: Writer,
    signals: Mapping[str, Any] | str,
    *,
    only_if_missing: bool = False,
    status: int = 200,
) -> None:
    """Answer with signals as ``application/json`` for Datastar to merge into its store.

    With ``only_if_missing`` the ``datastar-only-if-missing: true`` header is sent.
    """
    if only_if_missing:
        w.headers.set("datastar-only-if-missing", "true")
    w.respond(encode_signals(signals).encode("utf-8"), "application/json", status)


def execute_script_response(
    w: Writer,
    code: str,
    *,
    attributes: Mapping[str, str] | None = None,
    status: int = 200,
) -> None:
    """Answer with JavaScript (``text/javascript``) that Datastar runs in a new script element.

    ``attributes`` are set on that element; they travel as JSON in the
    ``datastar-script-attributes`` header.
    """
    if attributes:
        # ASCII-only JSON: header values are latin-1 on the wire.
        header = json.dumps(dict(attributes), separators=(",", ":"))
        w.headers.set("datastar-script-attributes", header)
    w.respond(code.encode("utf-8"), "text/javascript; charset=utf-8", status)
