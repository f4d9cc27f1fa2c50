"""``data``: builders for Datastar 1.0 ``data-*`` attributes, as dicts to pass to elements.

Each method returns ``{attribute name: value}``; pass it to an element before its children
(``Div(data.show("$open"), "...")``) or merge several with ``|``. Expressions are Datastar
expressions (JavaScript with ``$signals`` and ``@actions``) and are written as given; the
HTML renderer escapes them. Valueless attributes have the value ``True``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Unpack, overload

from stario.datastar.js import js_key, js_object
from stario.datastar.syntax import (
    Duration,
    Pattern,
    Timing,
    attribute,
    filter_object,
    name_key,
    signal_key,
    signal_path,
    timing,
)
from stario.datastar.syntax import duration as duration_tag

__all__ = ["Attrs", "DataAttributes", "data"]

Attrs = dict[str, str | bool]
"""Attributes for an element: name → value (``True`` for a bare attribute)."""

_HTML_ATTRIBUTE = re.compile(r"[^\s\"'>/=\x00-\x1f\x7f]+")
_TAG = re.compile(r"[a-z0-9][a-z0-9_-]*")


def _tag(name: str, what: str) -> str:
    # Modifier tags reach Datastar lower-cased, so capitals cannot be expressed there.
    if not _TAG.fullmatch(name):
        raise ValueError(f"invalid {what} {name!r} for a modifier: use a-z, 0-9, '-' and '_'")
    return name


def _keyed(plugin: str, name: str, expression: str, what: str) -> Attrs:
    key, mods = name_key(name, what)
    return {attribute(plugin, key, mods): expression}


def _pairs(plugin: str, items: Mapping[str, str]) -> Attrs:
    body = ", ".join(f"{js_key(name)}: {expression}" for name, expression in items.items())
    return {attribute(plugin): "{" + body + "}"}


def _named_or_mapping(
    method: str, what: str, target: str | Mapping[str, str], expression: str | None
) -> Attrs:
    plugin = method.rstrip("_")
    if isinstance(target, str):
        if expression is None:
            raise TypeError(f"data.{method}({target!r}, ...) needs an expression")
        return _keyed(plugin, target, expression, what)
    if expression is not None:
        raise TypeError(f"data.{method}(mapping) takes no separate expression")
    return _pairs(plugin, target)


class DataAttributes:
    """The ``data`` namespace: one method per Datastar 1.0 attribute (see module docs)."""

    __slots__ = ()

    # --- signals ----------------------------------------------------------------------

    def signals(self, values: Mapping[str, Any] | str, *, ifmissing: bool = False) -> Attrs:
        """``data-signals``: add or update signals from Python values (``None`` removes one).

        A mapping is written as a JavaScript object, so keys keep their exact spelling
        (``{"user_name": ""}`` makes ``$user_name``); nested mappings nest signals. A str
        is used as a raw object expression, e.g. ``"{total: $a + $b}"``. ``ifmissing``
        only sets signals that do not exist yet.
        """
        value = values if isinstance(values, str) else js_object(values)
        return {attribute("signals", None, ["ifmissing"] if ifmissing else []): value}

    def signal(self, name: str, expression: str, *, ifmissing: bool = False) -> Attrs:
        """``data-signals:<name>``: one signal set to an expression (``"0"``, ``"'text'"``)."""
        mods = ["ifmissing"] if ifmissing else []
        return {attribute("signals", signal_key(name), mods): expression}

    @overload
    def computed(self, name: str, expression: str, /) -> Attrs: ...
    @overload
    def computed(self, signals: Mapping[str, str], /) -> Attrs: ...
    def computed(self, target: str | Mapping[str, str], expression: str | None = None) -> Attrs:
        """``data-computed``: a read-only signal derived from an expression.

        ``computed("total", "$price * $qty")`` or, for several (any spelling kept),
        ``computed({"total_price": "$price * $qty"})``.
        """
        if isinstance(target, str):
            if expression is None:
                raise TypeError("data.computed(name, expression) needs an expression")
            return {attribute("computed", signal_key(target)): expression}
        if expression is not None:
            raise TypeError("data.computed(mapping) takes no separate expression")
        for name in target:
            if "." in signal_path(name):
                raise ValueError(f"use data.computed({name!r}, expression) for a nested signal")
        body = ", ".join(f"{js_key(name)}: () => ({expr})" for name, expr in target.items())
        return {attribute("computed"): "{" + body + "}"}

    def bind(
        self, signal: str, *, prop: str | None = None, event: str | Sequence[str] | None = None
    ) -> Attrs:
        """``data-bind``: two-way binding between an input's value and ``signal``.

        The name goes in the attribute value, where Datastar keeps it exactly as written.
        ``prop`` binds another element property; ``event`` names the events that sync back.
        """
        mods = []
        if prop is not None:
            mods.append(f"prop.{_tag(prop, 'property')}")
        if event is not None:
            names = [event] if isinstance(event, str) else list(event)
            mods.append(".".join(["event", *(_tag(name, "event") for name in names)]))
        return {attribute("bind", None, mods): signal_path(signal)}

    def indicator(self, signal: str) -> Attrs:
        """``data-indicator``: ``signal`` is true while a request from this element runs."""
        return {attribute("indicator"): signal_path(signal)}

    def ref(self, signal: str) -> Attrs:
        """``data-ref``: ``signal`` holds this element."""
        return {attribute("ref"): signal_path(signal)}

    def json_signals(
        self, *, include: Pattern | None = None, exclude: Pattern | None = None, terse: bool = False
    ) -> Attrs:
        """``data-json-signals``: show the (filtered) signals as JSON text, for debugging."""
        value = filter_object(include, exclude)
        return {attribute("json-signals", None, ["terse"] if terse else []): value or True}

    # --- DOM --------------------------------------------------------------------------

    def text(self, expression: str) -> Attrs:
        """``data-text``: the element's text follows ``expression``."""
        return {attribute("text"): expression}

    def show(self, expression: str) -> Attrs:
        """``data-show``: the element is shown while ``expression`` is truthy."""
        return {attribute("show"): expression}

    @overload
    def attr(self, name: str, expression: str, /) -> Attrs: ...
    @overload
    def attr(self, attributes: Mapping[str, str], /) -> Attrs: ...
    def attr(self, target: str | Mapping[str, str], expression: str | None = None) -> Attrs:
        """``data-attr``: HTML attributes follow expressions (``attr("disabled", "$busy")``)."""
        return _named_or_mapping("attr", "attribute name", target, expression)

    @overload
    def class_(self, name: str, expression: str, /) -> Attrs: ...
    @overload
    def class_(self, classes: Mapping[str, str], /) -> Attrs: ...
    def class_(self, target: str | Mapping[str, str], expression: str | None = None) -> Attrs:
        """``data-class``: add a class while an expression is truthy.

        Class names with characters a key cannot hold (``hover:bg-red``) need the
        mapping form: ``class_({"hover:bg-red": "$alert"})``.
        """
        return _named_or_mapping("class_", "class name", target, expression)

    @overload
    def style(self, name: str, expression: str, /) -> Attrs: ...
    @overload
    def style(self, properties: Mapping[str, str], /) -> Attrs: ...
    def style(self, target: str | Mapping[str, str], expression: str | None = None) -> Attrs:
        """``data-style``: inline CSS properties follow expressions (falsy restores them)."""
        return _named_or_mapping("style", "CSS property", target, expression)

    def ignore(self, *, self_only: bool = False) -> Attrs:
        """``data-ignore``: Datastar skips the element (and its children unless ``self_only``)."""
        return {attribute("ignore", None, ["self"] if self_only else []): True}

    def ignore_morph(self) -> Attrs:
        """``data-ignore-morph``: element patches leave this element and its children alone."""
        return {attribute("ignore-morph"): True}

    def preserve_attr(self, *names: str) -> Attrs:
        """``data-preserve-attr``: morphing keeps the current values of these attributes."""
        if not names:
            raise TypeError("data.preserve_attr() needs at least one attribute name")
        for name in names:
            if not _HTML_ATTRIBUTE.fullmatch(name):
                raise ValueError(f"invalid attribute name {name!r}")
        return {attribute("preserve-attr"): " ".join(names)}

    # --- reacting ---------------------------------------------------------------------

    def effect(self, expression: str) -> Attrs:
        """``data-effect``: run ``expression`` on load and whenever its signals change."""
        return {attribute("effect"): expression}

    def init(
        self, expression: str, *, delay: Duration | None = None, view_transition: bool = False
    ) -> Attrs:
        """``data-init``: run ``expression`` when the element (or the attribute) appears."""
        mods = [] if delay is None else [f"delay.{duration_tag(delay)}"]
        if view_transition:
            mods.append("viewtransition")
        return {attribute("init", None, mods): expression}

    def on(
        self,
        event: str,
        expression: str,
        *,
        once: bool = False,
        passive: bool = False,
        capture: bool = False,
        window: bool = False,
        document: bool = False,
        outside: bool = False,
        prevent: bool = False,
        stop: bool = False,
        view_transition: bool = False,
        **options: Unpack[Timing],
    ) -> Attrs:
        """``data-on:<event>``: run ``expression`` (``evt`` is the event) when it fires.

        Flags map to modifiers (``view_transition`` → ``__viewtransition``); ``delay``,
        ``debounce`` and ``throttle`` take a ``Duration`` (see ``Timing``). Event names
        with capitals get ``__case.camel`` so they reach Datastar as written.
        """
        key, mods = name_key(event, "event name")
        flags = {
            "once": once,
            "passive": passive,
            "capture": capture,
            "window": window,
            "document": document,
            "outside": outside,
            "prevent": prevent,
            "stop": stop,
        }
        mods.extend(name for name, on in flags.items() if on)
        mods.extend(timing(options))
        if view_transition:
            mods.append("viewtransition")
        return {attribute("on", key, mods): expression}

    def on_intersect(
        self,
        expression: str,
        *,
        once: bool = False,
        exit: bool = False,
        half: bool = False,
        full: bool = False,
        threshold: int | None = None,
        view_transition: bool = False,
        **options: Unpack[Timing],
    ) -> Attrs:
        """``data-on-intersect``: run ``expression`` when the element enters the viewport.

        ``exit`` fires on leaving instead; ``half``, ``full`` or ``threshold`` (a
        percentage, 1-100) set how much must be visible.
        """
        if half + full + (threshold is not None) > 1:
            raise ValueError("use only one of half, full and threshold")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int)
            or not 0 < threshold <= 100
        ):
            raise ValueError(f"threshold is a percentage from 1 to 100, got {threshold!r}")
        flags = {"once": once, "exit": exit, "half": half, "full": full}
        mods = [name for name, on in flags.items() if on]
        if threshold is not None:
            mods.append(f"threshold.{threshold}")
        mods.extend(timing(options))
        if view_transition:
            mods.append("viewtransition")
        return {attribute("on-intersect", None, mods): expression}

    def on_interval(
        self,
        expression: str,
        *,
        duration: Duration | None = None,
        leading: bool = False,
        view_transition: bool = False,
    ) -> Attrs:
        """``data-on-interval``: run ``expression`` every ``duration`` (Datastar's default 1s).

        ``leading`` also runs it once right away.
        """
        mods = []
        if duration is not None or leading:
            tags = ["duration", duration_tag(duration if duration is not None else "1s")]
            mods.append(".".join([*tags, "leading"] if leading else tags))
        if view_transition:
            mods.append("viewtransition")
        return {attribute("on-interval", None, mods): expression}

    def on_signal_patch(self, expression: str, **options: Unpack[Timing]) -> Attrs:
        """``data-on-signal-patch``: run ``expression`` on signal patches (``patch`` holds them)."""
        return {attribute("on-signal-patch", None, timing(options)): expression}

    def on_signal_patch_filter(
        self, *, include: Pattern | None = None, exclude: Pattern | None = None
    ) -> Attrs:
        """``data-on-signal-patch-filter``: limit ``on_signal_patch`` to matching signal paths."""
        value = filter_object(include, exclude)
        if value is None:
            raise TypeError("data.on_signal_patch_filter() needs include= or exclude=")
        return {attribute("on-signal-patch-filter"): value}


data = DataAttributes()
"""Datastar attribute builders: ``data.on("click", at.post("/save"))``."""
