"""``@baked``: render a template once with placeholders, then only fill in parameters.

The template function is called once, at decoration, with a placeholder for every
parameter. Its markup is split at the placeholders into static strings; the decorated
function is generated code that renders each argument for the place it was used in (a
child, or a whole attribute, so that True/None/False and list/dict rules still apply)
and joins the pieces.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, Protocol, cast

from stario.html.attrs import attr_prefix, placeholders_in, render_attr, substitute
from stario.html.node import Element, child_markup, render
from stario.html.placeholder import CHILD, MARKER_RE, Fill, Placeholder, Recorder, has_marker

__all__ = ["Baked", "baked"]

P = ParamSpec("P")

# PERF: escaping is inlined in the generated code (the same tests and replacements as
# safe.py), saving a call per argument. The generated f-string is triple-quoted so the
# expressions below may contain '"'.
_TEXT_TEST = "('&' in {x} or '<' in {x} or '>' in {x})"
_ATTR_TEST = "('&' in {x} or '<' in {x} or '>' in {x} or '\"' in {x} or \"'\" in {x})"
_TEXT = ".replace('&','&amp;').replace('<','&lt;').replace('>','&gt;')"
_ATTR = _TEXT + ".replace('\"','&quot;').replace(\"'\",'&#39;')"
_PREFIX = "_st_"


class Baked(Protocol[P]):
    """A ``@baked`` template: call it like the original function, or ``map`` it."""

    __name__: str
    __qualname__: str
    __wrapped__: Callable[P, object]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Element:
        """Render with these arguments."""
        ...

    def map(self, items: Iterable[Any]) -> Element:
        """Render once per item and join; an item is the argument of a one-parameter
        template, otherwise a tuple of every argument in signature order."""
        ...


def baked(template: Callable[P, object]) -> Baked[P]:
    """Precompile ``template``; calling the result only escapes and joins its arguments.

    Each parameter may be used as a child or inside an attribute value (the value
    itself, a list item, a ``style``/``data``/JSON dict value). Using one in any other
    way (``if``, f-strings, ``str()``, loops, ``.attr``) raises ``TypeError`` at
    decoration, as does a parameter used as an attribute name.
    """
    params = _parameters(template)
    recorder = Recorder(template.__qualname__)
    holders = [Placeholder(recorder, p.name) for p in params]
    positional = [h for h, p in zip(holders, params, strict=True) if p.kind != p.KEYWORD_ONLY]
    keywords = {p.name: h for h, p in zip(holders, params, strict=True) if p.kind == p.KEYWORD_ONLY}
    pieces = MARKER_RE.split(render(template(*positional, **keywords)))  # type: ignore[arg-type]
    _check_pieces(template, pieces, recorder.fills)
    function = _compile(params, pieces, recorder.fills)
    functools.update_wrapper(function, template)
    return cast("Baked[P]", function)


def _parameters(template: Callable[..., object]) -> list[inspect.Parameter]:
    params = list(inspect.signature(template).parameters.values())
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(
                f"@baked {template.__qualname__}: *args/**kwargs ({p.name}) cannot be baked; "
                "name every parameter"
            )
        if p.name.startswith(_PREFIX):
            raise TypeError(
                f"@baked {template.__qualname__}: parameter names may not start with {_PREFIX!r}"
            )
    return params


def _check_pieces(template: Callable[..., object], pieces: list[str], fills: list[Fill]) -> None:
    found = {int(index) for index in pieces[1::2]}
    lost = [fills[i].param for i in range(len(fills)) if i not in found]
    if lost or any(has_marker(static) for static in pieces[::2]):
        raise TypeError(
            f"@baked {template.__qualname__}: parameter(s) {sorted(set(lost))} were transformed "
            "after being placed (e.g. inside JSON or a string operation on rendered markup); "
            "place parameters directly as children or attribute values"
        )


def _compile(params: list[inspect.Parameter], pieces: list[str], fills: list[Fill]) -> Any:
    ns: dict[str, Any] = {
        "_st_Element": Element,
        "_st_new": object.__new__,
        "_st_join": "".join,
        "_st_type": type,
        "_st_str": str,
        "_st_q": '"',
        "_st_empty": "",
        "_st_child": child_markup,
        "_st_attr": render_attr,
        "_st_sub": substitute,
    }
    exprs = []
    for k, piece in enumerate(pieces):
        if k % 2 == 0:
            if piece:
                ns[f"_st_s{k}"] = piece
                exprs.append(f"{{_st_s{k}}}")
        else:
            exprs.append(_fill_expr(fills[int(piece)], k, ns))
    body = 'f"""' + "".join(exprs) + '"""' if exprs else '""'
    names = [p.name for p in params]
    target = names[0] if len(names) == 1 else f"({', '.join(names)},)" if names else "_st_"
    # SECURITY: the source holds only parameter names (identifiers, from a real
    # signature) and our own _st_ names; markup and defaults are passed as globals.
    # PERF: object.__new__ plus a slot store skips Element.__init__'s Python frame;
    # map() runs the template in one comprehension, without a call per item.
    source = (
        f"def _st_baked({_signature_source(params, ns)}):\n"
        "    _st_e = _st_new(_st_Element)\n"
        f"    _st_e._html = {body}\n"
        "    return _st_e\n"
        "def _st_map(_st_items):\n"
        "    _st_e = _st_new(_st_Element)\n"
        f"    _st_e._html = _st_join([{body} for {target} in _st_items])\n"
        "    return _st_e\n"
    )
    exec(compile(source, "<stario.html.bake>", "exec"), ns)
    function = ns["_st_baked"]
    function.map = ns["_st_map"]
    return function


def _fill_expr(fill: Fill, k: int, ns: dict[str, Any]) -> str:
    x = fill.param
    text = f"({x}{_TEXT} if {_TEXT_TEST} else {x})".format(x=x)
    attr = f"({x}{_ATTR} if {_ATTR_TEST} else {x})".format(x=x)
    if fill.kind == CHILD:
        # PERF: text, an element and None are tested inline, in that order.
        other = (
            f"({x}._html if _st_type({x}) is _st_Element "
            f"else _st_empty if {x} is None else _st_child({x}))"
        )
        return f"{{{text} if _st_type({x}) is _st_str else {other}}}"
    ns[f"_st_n{k}"] = fill.attr
    if isinstance(fill.value, Placeholder):
        ns[f"_st_p{k}"] = attr_prefix(fill.attr)
        present = f"_st_p{k} + {attr} + _st_q"
        return f"{{{present} if _st_type({x}) is _st_str else _st_attr(_st_n{k}, {x})}}"
    # A parameter inside a list or dict value: rebuild the value, render it in full.
    ns[f"_st_v{k}"] = fill.value
    names = ", ".join(f"{name!r}: {name}" for name in dict.fromkeys(placeholders_in(fill.value)))
    return f"{{_st_attr(_st_n{k}, _st_sub(_st_v{k}, {{{names}}}))}}"


def _signature_source(params: list[inspect.Parameter], ns: dict[str, Any]) -> str:
    out: list[str] = []
    for i, p in enumerate(params):
        if p.kind == p.KEYWORD_ONLY and "*" not in out:
            out.append("*")
        if p.default is p.empty:
            out.append(p.name)
        else:
            ns[f"_st_d{i}"] = p.default
            out.append(f"{p.name}=_st_d{i}")
        following = params[i + 1].kind if i + 1 < len(params) else None
        if p.kind == p.POSITIONAL_ONLY and following != p.POSITIONAL_ONLY:
            out.append("/")
    return ", ".join(out)
