"""``at``: builders for Datastar 1.0 action expressions (``@get('/x')``, ``@setAll(...)``).

Each method returns the expression as a str, for ``data.on(...)`` and friends. URLs and
values are written as JavaScript literals that no character of user data can escape
(see ``stario.datastar.js``); options appear only when they differ from Datastar's
defaults, under the names Datastar expects (``content_type`` → ``contentType``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from stario.datastar.js import JS, js_object, js_string, js_value
from stario.datastar.syntax import Pattern, filter_object

__all__ = ["Actions", "SignalFilter", "at"]

ContentType = Literal["json", "form"]
Retry = Literal["auto", "error", "always", "never"]
Cancellation = Literal["auto", "cleanup", "disabled"]


class SignalFilter(TypedDict, total=False):
    """Which signals a request sends: paths matching ``include`` and not ``exclude``."""

    include: Pattern
    exclude: Pattern


_CONTENT_TYPES = frozenset({"json", "form"})
_RETRIES = frozenset({"auto", "error", "always", "never"})
_CANCELLATIONS = frozenset({"auto", "cleanup", "disabled"})


def _choice(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"invalid {what} {value!r}; use one of {', '.join(sorted(allowed))}")
    return value


def _signal_filter(filter_signals: Mapping[str, Pattern]) -> str:
    unknown = set(filter_signals) - {"include", "exclude"}
    if unknown:
        raise ValueError(f"filter_signals takes include and exclude, not {sorted(unknown)}")
    value = filter_object(filter_signals.get("include"), filter_signals.get("exclude"))
    if value is None:
        raise ValueError("filter_signals needs include and/or exclude")
    return value


def _number(value: float, name: str, *, minimum: float) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= minimum:
        raise ValueError(f"{name} must be a number >= {minimum}, got {value!r}")
    return js_value(value)


class Actions:
    """The ``at`` namespace: one method per Datastar 1.0 action (see module docs)."""

    __slots__ = ()

    def get(
        self,
        url: str,
        *,
        content_type: ContentType = "json",
        filter_signals: SignalFilter | None = None,
        selector: str | None = None,
        headers: Mapping[str, str] | None = None,
        open_when_hidden: bool | None = None,
        payload: Any = None,
        retry: Retry = "auto",
        retry_interval: int = 1000,
        retry_scaler: float = 2,
        retry_max_wait: int = 30000,
        retry_max_count: int = 10,
        request_cancellation: Cancellation | JS = "auto",
    ) -> str:
        """``@get(url, options)``: a GET request; signals go in ``?datastar=...``.

        Options (Datastar name, default): ``content_type`` (contentType, ``"json"``;
        ``"form"`` sends the closest form or ``selector``), ``filter_signals``
        (filterSignals, ``{"include": ..., "exclude": ...}`` regexes), ``headers``,
        ``open_when_hidden`` (openWhenHidden; False for GET, True otherwise), ``payload``
        (sent instead of the signals), ``retry`` (``"auto"``, ``"error"``, ``"always"``,
        ``"never"``), ``retry_interval`` (ms, 1000), ``retry_scaler`` (2),
        ``retry_max_wait`` (retryMaxWait, ms, 30000), ``retry_max_count`` (10),
        ``request_cancellation`` (``"auto"``, ``"cleanup"``, ``"disabled"`` or
        ``JS("$controller")``).
        """
        return self._fetch("get", url, locals())

    def post(
        self,
        url: str,
        *,
        content_type: ContentType = "json",
        filter_signals: SignalFilter | None = None,
        selector: str | None = None,
        headers: Mapping[str, str] | None = None,
        open_when_hidden: bool | None = None,
        payload: Any = None,
        retry: Retry = "auto",
        retry_interval: int = 1000,
        retry_scaler: float = 2,
        retry_max_wait: int = 30000,
        retry_max_count: int = 10,
        request_cancellation: Cancellation | JS = "auto",
    ) -> str:
        """``@post(url, options)``: a POST request with the signals as JSON body (see ``get``)."""
        return self._fetch("post", url, locals())

    def put(
        self,
        url: str,
        *,
        content_type: ContentType = "json",
        filter_signals: SignalFilter | None = None,
        selector: str | None = None,
        headers: Mapping[str, str] | None = None,
        open_when_hidden: bool | None = None,
        payload: Any = None,
        retry: Retry = "auto",
        retry_interval: int = 1000,
        retry_scaler: float = 2,
        retry_max_wait: int = 30000,
        retry_max_count: int = 10,
        request_cancellation: Cancellation | JS = "auto",
    ) -> str:
        """``@put(url, options)``: a PUT request with the signals as JSON body (see ``get``)."""
        return self._fetch("put", url, locals())

    def patch(
        self,
        url: str,
        *,
        content_type: ContentType = "json",
        filter_signals: SignalFilter | None = None,
        selector: str | None = None,
        headers: Mapping[str, str] | None = None,
        open_when_hidden: bool | None = None,
        payload: Any = None,
        retry: Retry = "auto",
        retry_interval: int = 1000,
        retry_scaler: float = 2,
        retry_max_wait: int = 30000,
        retry_max_count: int = 10,
        request_cancellation: Cancellation | JS = "auto",
    ) -> str:
        """``@patch(url, options)``: a PATCH request with the signals as JSON body (see ``get``)."""
        return self._fetch("patch", url, locals())

    def delete(
        self,
        url: str,
        *,
        content_type: ContentType = "json",
        filter_signals: SignalFilter | None = None,
        selector: str | None = None,
        headers: Mapping[str, str] | None = None,
        open_when_hidden: bool | None = None,
        payload: Any = None,
        retry: Retry = "auto",
        retry_interval: int = 1000,
        retry_scaler: float = 2,
        retry_max_wait: int = 30000,
        retry_max_count: int = 10,
        request_cancellation: Cancellation | JS = "auto",
    ) -> str:
        """``@delete(url, options)``: a DELETE request; signals go in ``?datastar=...``."""
        return self._fetch("delete", url, locals())

    def _fetch(self, action: str, url: str, given: dict[str, Any]) -> str:
        if not isinstance(url, str) or not url:
            raise ValueError(f"@{action}() needs a URL")
        options = _fetch_options(action, given)
        tail = f", {js_object(options)}" if options else ""
        return f"@{action}({js_string(url)}{tail})"

    def peek(self, expression: str) -> str:
        """``@peek(() => expression)``: read signals without reacting to their changes."""
        return f"@peek(() => ({expression}))"

    def set_all(
        self, value: Any, *, include: Pattern | None = None, exclude: Pattern | None = None
    ) -> str:
        """``@setAll(value, filter)``: set every signal (or those matching) to ``value``.

        ``value`` is a Python value written as a literal, or ``JS("...")`` for an expression.
        """
        filters = filter_object(include, exclude)
        tail = f", {filters}" if filters else ""
        return f"@setAll({js_value(value)}{tail})"

    def toggle_all(self, *, include: Pattern | None = None, exclude: Pattern | None = None) -> str:
        """``@toggleAll(filter)``: flip every boolean signal (or those matching)."""
        return f"@toggleAll({filter_object(include, exclude) or ''})"


def _fetch_options(action: str, given: dict[str, Any]) -> dict[str, Any]:
    """The non-default options of a backend action, keyed by their Datastar names."""
    out: dict[str, Any] = {}
    if _choice(given["content_type"], _CONTENT_TYPES, "content_type") != "json":
        out["contentType"] = given["content_type"]
    if given["filter_signals"] is not None:
        out["filterSignals"] = JS(_signal_filter(given["filter_signals"]))
    if given["selector"] is not None:
        out["selector"] = given["selector"]
    if given["headers"]:
        out["headers"] = dict(given["headers"])
    hidden = given["open_when_hidden"]
    if hidden is not None and bool(hidden) != (action != "get"):
        out["openWhenHidden"] = bool(hidden)
    if given["payload"] is not None:
        out["payload"] = JS(js_value(given["payload"]))
    if _choice(given["retry"], _RETRIES, "retry") != "auto":
        out["retry"] = given["retry"]
    numbers = (
        ("retry_interval", "retryInterval", 1000, 0),
        ("retry_scaler", "retryScaler", 2, 0),
        ("retry_max_wait", "retryMaxWait", 30000, 0),
        ("retry_max_count", "retryMaxCount", 10, 0),
    )
    for name, key, default, minimum in numbers:
        value = given[name]
        if value != default:
            out[key] = JS(_number(value, name, minimum=minimum))
    cancel = given["request_cancellation"]
    if isinstance(cancel, JS) or _choice(cancel, _CANCELLATIONS, "request_cancellation") != "auto":
        out["requestCancellation"] = cancel
    return out


at = Actions()
"""Datastar action builders: ``at.post("/todos", content_type="form")``."""
