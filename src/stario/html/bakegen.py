"""Code generation for ``@baked``: one specialised Python function per template.

The generated function first turns every argument into markup for each context it is
used in: a child (text escaping, elements verbatim, the builder's rules otherwise) or a
whole attribute value (attribute escaping for ``str``, ``render_attr`` otherwise). Then
one f-string joins that markup with the template's static strings, which are compiled
in as constants. ``map`` runs the same statements in a loop and joins once.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

from stario.html.attrs import attr_prefix, placeholders_in, render_attr, substitute
from stario.html.node import BakedElement, Element, child_markup
from stario.html.placeholder import CHILD, Fill, Placeholder

__all__ = ["compile_template"]

# The replacements of safe.escape_text / safe.escape_attr, in the same order ('&'
# first). Later replacements only add '&', letters, digits, '#' and ';', so testing the
# original argument for each character is the same as testing the partly escaped one.
_TEXT = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTR = (*_TEXT, ('"', "&quot;"), ("'", "&#39;"))

_GLOBALS: dict[str, Any] = {
    "_st_Element": Element,
    "_st_Baked": BakedElement,
    "_st_join": "".join,
    "_st_type": type,
    "_st_str": str,
    "_st_list": list,
    "_st_child": child_markup,
    "_st_attr": render_attr,
    "_st_sub": substitute,
}


class _Body:
    """The statements and the two f-strings of one template, as Python source.

    ``fast`` is the markup when every argument used as a whole attribute value is a
    ``str``: such an attribute is then a static prefix, the escaped value and a static
    quote, which merge with the static strings around them. ``slow`` renders those
    attributes with ``render_attr`` instead (for ``None``, ``True``, lists, ...).
    """

    def __init__(self, ns: dict[str, Any], fills: list[Fill]) -> None:
        self.ns = ns
        self.constants: dict[str, str] = {"_st_q": '"'}
        self.prep: list[str] = []
        self.escape_attrs: list[str] = []
        self.children: dict[str, str] = {}
        self.attrs: dict[str, str] = {}
        self.fast: list[str] = []
        self.slow: list[str] = []
        # PERF: a parameter used in one way only is escaped in place, without a copy.
        uses: dict[str, set[object]] = {}
        for fill in fills:
            whole = fill.kind == CHILD or isinstance(fill.value, Placeholder)
            uses.setdefault(fill.param, set()).add(fill.kind if whole else None)
        self.in_place = {x for x, kinds in uses.items() if len(kinds) == 1 and None not in kinds}

    def static(self, name: str, text: str) -> None:
        self.constants[name] = text
        self.fast.append(f"{{{name}}}")
        self.slow.append(f"{{{name}}}")

    def slot(self, fill: Fill, k: int) -> None:
        x = fill.param
        if fill.kind == CHILD:
            field = f"{{{self.child(x)}}}"
            self.fast.append(field)
            self.slow.append(field)
            return
        self.ns[f"_st_n{k}"] = fill.attr
        if isinstance(fill.value, Placeholder):
            self.constants[f"_st_p{k}"] = attr_prefix(fill.attr)
            self.fast.append(f"{{_st_p{k}}}{{{self.attr(x)}}}{{_st_q}}")
            self.slow.append(f"{{_st_attr(_st_n{k}, {x})}}")
            return
        # A parameter inside a list or dict value: rebuild the value, render it in full.
        self.ns[f"_st_v{k}"] = fill.value
        names = ", ".join(f"{n!r}: {n}" for n in dict.fromkeys(placeholders_in(fill.value)))
        field = f"{{_st_attr(_st_n{k}, _st_sub(_st_v{k}, {{{names}}}))}}"
        self.fast.append(field)
        self.slow.append(field)

    def child(self, x: str) -> str:
        """Statements leaving the child markup of parameter ``x`` in a local; its name."""
        if x in self.children:
            return self.children[x]
        var = self.children[x] = x if x in self.in_place else f"_st_c{len(self.children)}"
        # PERF: str, None, elements (baked ones first) and lists of elements (rows from
        # another template) are tested inline; anything else goes through the builder.
        self.prep += [
            f"if _st_type({x}) is _st_str:",
            *_escape(var, x, _TEXT),
            f"elif {x} is None:",
            f"    {var} = ''",
            f"elif (_st_t := _st_type({x})) is _st_Baked or _st_t is _st_Element:",
            f"    {var} = {x}._html",
            "elif _st_t is _st_list:",
            "    _st_i = ''",
            f"    for _st_x in {x}:",
            "        _st_i += _st_x._html if _st_type(_st_x) is _st_Baked else _st_x._html "
            "if _st_type(_st_x) is _st_Element else _st_child(_st_x)",
            f"    {var} = _st_i",
            "else:",
            f"    {var} = _st_child({x})",
        ]
        return var

    def attr(self, x: str) -> str:
        """Record ``x`` as a whole attribute value; the local holding it escaped."""
        if x not in self.attrs:
            var = self.attrs[x] = x if x in self.in_place else f"_st_a{len(self.attrs)}"
            self.escape_attrs += _escape(var, x, _ATTR)
        return self.attrs[x]

    def store(self, target: str, depth: int) -> list[str]:
        """The statements, then those that pass the markup to ``target`` (a call)."""
        fast = f'{target}(f"{"".join(self.fast)}")'
        if not self.attrs:
            return _indent([*self.prep, fast], depth)
        # The attribute values are escaped only once every one of them is known to
        # be a str; otherwise render_attr applies the value rules.
        test = " and ".join(f"_st_type({x}) is _st_str" for x in self.attrs)
        slow = f'{target}(f"{"".join(self.slow)}")'
        branch = [f"if {test}:", *self.escape_attrs, f"    {fast}", "else:", f"    {slow}"]
        return _indent([*self.prep, *branch], depth)


def _escape(var: str, x: str, table: tuple[tuple[str, str], ...]) -> list[str]:
    # PERF: one `in` test per character and a replace only for the characters present;
    # most values need none, URLs usually need only '&'.
    lines = [] if var == x else [f"    {var} = {x}"]
    lines += [f"    if {c!r} in {x}: {var} = {var}.replace({c!r}, {r!r})" for c, r in table]
    return lines


def compile_template(params: list[inspect.Parameter], pieces: list[str], fills: list[Fill]) -> Any:
    """Generate, compile and return the baked function (with ``.map``) for ``pieces``."""
    ns = dict(_GLOBALS)
    body = _Body(ns, fills)
    for k, piece in enumerate(pieces):
        if k % 2 == 1:
            body.slot(fills[int(piece)], k)
        elif piece:
            body.static(f"_st_s{k}", piece)
    names = [p.name for p in params]
    target = names[0] if len(names) == 1 else f"({', '.join(names)},)" if names else "_st_"
    # SECURITY: the source holds only parameter names (identifiers, from a real
    # signature) and our own _st_ names; markup and defaults are globals, and the
    # static markup is put into the f-strings as AST constants, never as source text.
    lines = [
        f"def _st_baked({_signature_source(params, ns)}):",
        "    _st_e = _st_Baked()",
        *body.store("_st_set", 1),
        "    return _st_e",
        "def _st_map(_st_items):",
        "    _st_out = []",
        f"    for {target} in _st_items:",
        *body.store("_st_out.append", 2),
        "    _st_e = _st_Baked()",
        "    _st_e._html = _st_join(_st_out)",
        "    return _st_e",
    ]
    tree = _Inline(body.constants).visit(ast.parse("\n".join(lines)))
    exec(compile(ast.fix_missing_locations(tree), "<stario.html.bake>", "exec"), ns)
    function = ns["_st_baked"]
    function.map = ns["_st_map"]
    return function


def _indent(lines: list[str], depth: int) -> list[str]:
    return ["    " * depth + line for line in lines]


class _Inline(ast.NodeTransformer):
    """Put static markup into f-strings as constants; ``_st_set(x)`` -> ``_st_e._html = x``."""

    def __init__(self, constants: dict[str, str]) -> None:
        self.constants = constants

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        values: list[ast.expr] = []
        text = ""
        for value in node.values:
            if (
                isinstance(value, ast.FormattedValue)
                and isinstance(value.value, ast.Name)
                and value.value.id in self.constants
            ):
                text += self.constants[value.value.id]
                continue
            if text:
                values.append(ast.Constant(text))
                text = ""
            values.append(value)
        if not values:
            return ast.Constant(text)
        if text:
            values.append(ast.Constant(text))
        return ast.JoinedStr(values)

    def visit_Expr(self, node: ast.Expr) -> ast.stmt:
        self.generic_visit(node)
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "_st_set"
        ):
            target = ast.Attribute(ast.Name("_st_e", ast.Load()), "_html", ast.Store())
            return ast.Assign([target], call.args[0])
        return node


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
