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

from stario.html.bakegen import compile_template
from stario.html.node import Element, render
from stario.html.placeholder import MARKER_RE, Fill, Placeholder, Recorder, has_marker

__all__ = ["Baked", "baked"]

P = ParamSpec("P")

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
    function = compile_template(params, pieces, recorder.fills)
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
