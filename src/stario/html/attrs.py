"""Attribute rendering: name validation, value rules, merging of several dicts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from stario.html.placeholder import ATTR, Placeholder, has_marker
from stario.html.safe import SafeString, escape_attr

__all__ = [
    "Attrs",
    "attr_prefix",
    "merge_attrs",
    "placeholders_in",
    "render_attr",
    "render_attrs",
    "substitute",
]

Attrs = Mapping[str, Any]
"""An attribute dict: names to values (see ``docs/html.md`` for the value rules)."""

# SECURITY: HTML attribute names end at whitespace, quotes, '>', '/', '=' and may not
# hold control characters or noncharacters; '<' is refused as well so a name can never
# start a tag in a lenient parser. Everything else is allowed: '@click', ':class',
# 'data-on:click__debounce.500ms'.
_BAD_NAME = re.compile(r"[\s\"'>/=<\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")

# PERF: validated names map to their rendered prefix ' name="'. The cache is bounded
# so that attribute names built from data cannot grow it without limit.
_PREFIXES: dict[str, str] = {}
_PREFIX_CACHE_MAX = 4096

_EXPANDED = ("data", "aria")


def attr_prefix(name: str) -> str:
    """Return ``' name="'`` for a valid attribute name; raise ``ValueError`` otherwise."""
    if not isinstance(name, str):
        raise TypeError(
            f"attribute names must be str, got {type(name).__name__} {name!r}"
            " (a @baked parameter can be an attribute value, never a name)"
        )
    prefix = _PREFIXES.get(name)
    if prefix is not None:
        return prefix
    if not name or _BAD_NAME.search(name):
        raise ValueError(
            f"invalid attribute name {name!r}: names must be non-empty and free of "
            "whitespace, quotes, '<', '>', '/', '=' and control characters"
        )
    if len(_PREFIXES) >= _PREFIX_CACHE_MAX:
        _PREFIXES.clear()
    prefix = _PREFIXES[name] = f' {name}="'
    return prefix


def render_attrs(attrs: Attrs) -> str:
    """Render one attribute dict as ``' a="1" b'`` (leading space per attribute)."""
    # PERF: a few attributes per element, so in-place str += beats list + join.
    out = ""
    for name, value in attrs.items():
        # PERF: plain strings, the overwhelmingly common case, skip the dispatch.
        if type(value) is str:
            out += f'{_PREFIXES.get(name) or attr_prefix(name)}{escape_attr(value)}"'
        elif value is None:
            out += (_PREFIXES.get(name) or attr_prefix(name))[:-2]  # bare, like True
        else:
            out += render_attr(name, value)
    return out


def render_attr(name: str, value: Any) -> str:
    """Render a single attribute with every value rule applied (may be ``''``)."""
    prefix = attr_prefix(name)
    if value is True or value is False:
        if name.startswith("aria-"):
            # ARIA states are the strings "true"/"false"; a bare aria-x means neither.
            return f'{prefix}{"true" if value else "false"}"'
        return prefix[:-2] if value else ""
    if value is None:
        return prefix[:-2]  # bare, like True; use False to leave an attribute out
    if isinstance(value, Placeholder):
        return value._stario_mark(ATTR, name, value)
    try:
        if isinstance(value, Mapping):
            return _mapping_attr(name, prefix, value)
        return f'{prefix}{_scalar_or_tokens(name, value)}"'
    except _PlaceholderInside as inside:
        # While baking: a parameter sits inside a list or dict value. The whole
        # attribute becomes the slot and is re-rendered per call with the arguments
        # substituted, so every value rule applies exactly as without baking.
        return inside.placeholder._stario_mark(ATTR, name, value)


class _PlaceholderInside(Exception):
    def __init__(self, placeholder: Placeholder) -> None:
        self.placeholder = placeholder


def _scalar_or_tokens(name: str, value: Any) -> str:
    if isinstance(value, str):
        return _trusted(name, value) if isinstance(value, SafeString) else escape_attr(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return _tokens(name, value)
    if isinstance(value, Placeholder):
        raise _PlaceholderInside(value)
    if hasattr(value, "__html__"):
        # An element as a value is escaped markup, which is what ``srcdoc`` needs.
        return _trusted(name, escape_attr(value.__html__()))
    raise TypeError(
        f"attribute {name!r}: unsupported value type {type(value).__name__}; use str, "
        "int, float, bool, None, a list of tokens or a dict (convert with str() first)"
    )


def _trusted(name: str, markup: str) -> str:
    # SECURITY: markup made while baking carries child markers that would be filled
    # with text escaping inside an attribute; refuse rather than allow a quote breakout.
    if has_marker(markup):
        raise TypeError(
            f"attribute {name!r}: markup containing @baked parameters cannot be used as an "
            "attribute value; pass the parameter as the attribute value itself"
        )
    return markup


def _tokens(name: str, items: list[Any] | tuple[Any, ...]) -> str:
    # Token lists (class="a b"): None/False items are skipped, nested lists flattened.
    out = []
    for item in items:
        if item is None or item is False:
            continue
        if item is True:
            raise TypeError(f"attribute {name!r}: True is not a token; use a string")
        text = _scalar_or_tokens(name, item)
        if text:
            out.append(text)
    return " ".join(out)


def _mapping_attr(name: str, prefix: str, value: Mapping[Any, Any]) -> str:
    if name == "style":
        return f'{prefix}{_style(value)}"'
    if name in _EXPANDED:
        return "".join([render_attr(_expanded(name, key), v) for key, v in value.items()])
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_no_json)
    except TypeError as exc:
        raise TypeError(f"attribute {name!r}: dict value is not JSON-serialisable: {exc}") from None
    return f'{prefix}{_trusted(name, escape_attr(encoded))}"'


def _expanded(prefix: str, key: Any) -> str:
    # {"data": {"on:click": ...}} -> "data-on:click"; keys are names, so str only.
    if not isinstance(key, str):
        attr_prefix(key)
    return f"{prefix}-{key}"


def _no_json(value: Any) -> Any:
    if isinstance(value, Placeholder):
        raise _PlaceholderInside(value)
    raise TypeError(f"{type(value).__name__} {value!r}")


def _style(value: Mapping[Any, Any]) -> str:
    # {"background-color": "red", "margin": 0} -> background-color:red;margin:0
    parts = []
    for key, item in value.items():
        if item is None or item is False:
            continue
        if not isinstance(key, str):
            raise TypeError(f"style property names must be str, got {key!r}")
        if item is True:
            raise TypeError(f"style property {key!r}: True is not a CSS value")
        parts.append(f"{escape_attr(key)}:{_scalar_or_tokens('style', item)}")
    return ";".join(parts)


def substitute(template: Any, values: Mapping[str, Any]) -> Any:
    """Copy an attribute value recorded while baking, with placeholders replaced."""
    if isinstance(template, Placeholder):
        return values[template._stario_param]
    if isinstance(template, list | tuple):
        return type(template)(substitute(item, values) for item in template)
    if isinstance(template, Mapping):
        return {key: substitute(item, values) for key, item in template.items()}
    return template


def placeholders_in(template: Any) -> list[str]:
    """Names of the parameters inside an attribute value recorded while baking."""
    if isinstance(template, Placeholder):
        return [template._stario_param]
    if isinstance(template, list | tuple):
        return [name for item in template for name in placeholders_in(item)]
    if isinstance(template, Mapping):
        return [name for item in template.values() for name in placeholders_in(item)]
    return []


def merge_attrs(dicts: Iterable[Attrs]) -> dict[str, Any]:
    """Merge attribute dicts: later keys win, ``class`` values are concatenated.

    ``data``/``aria`` dicts are expanded first, so ``{"data": {"a": 1}}`` and
    ``{"data": {"b": 2}}`` give both ``data-a`` and ``data-b``.
    """
    merged: dict[str, Any] = {}
    for attrs in dicts:
        for name, value in attrs.items():
            if not isinstance(name, str):
                attr_prefix(name)
            if name in _EXPANDED and isinstance(value, Mapping):
                for key, item in value.items():
                    merged[_expanded(name, key)] = item
            elif name == "class" and "class" in merged:
                merged["class"] = [merged["class"], value]
            else:
                merged[name] = value
    return merged
