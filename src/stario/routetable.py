"""The compiled form of a Router's routes: matching requests and building URLs.

``Router.compile()`` (in ``stario.routing``) builds a ``RouteTable``: a segment trie
per host pattern, with middleware already composed. Matching a request costs a dict
lookup per path segment, or a single dict lookup for literal-only paths. This module
is on every request's path; registration and its checks live in ``stario.routing``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import quote, urlencode

from stario import patterns
from stario.errors import StarioError
from stario.patterns import CATCHALL, LITERAL
from stario.types import Handler

__all__ = [
    "Match",
    "MatchResult",
    "MethodNotAllowed",
    "NotFound",
    "Query",
    "Redirect",
    "RouteInfo",
    "RouteTable",
]

# RFC 3986 §3.3: sub-delims, ":" and "@" may appear unescaped in a path segment.
_PCHAR_SAFE = "!$&'()*+,;=:@~"

Query: TypeAlias = "Mapping[str, object] | Sequence[tuple[str, object]]"


class RouteInfo:
    """The matched route: its ``pattern``, ``name`` and decoded ``params``."""

    __slots__ = ("name", "params", "pattern")

    def __init__(self, pattern: str, params: dict[str, str], name: str | None = None) -> None:
        self.pattern = pattern
        self.params = params
        self.name = name

    def __repr__(self) -> str:
        return f"RouteInfo({self.pattern!r}, {self.params!r})"


class Match(RouteInfo):
    """A route matched. ``handler`` has its middleware applied; ``params`` are decoded.

    ``pattern`` is the full pattern as registered (mount prefix included);
    ``head_fallback`` is True when a HEAD request is served by the GET route. A match
    is the ``RouteInfo`` its handler sees as ``c.route`` (PERF: one object, not two).
    """

    __slots__ = ("handler", "head_fallback")

    def __init__(
        self,
        handler: Handler,
        pattern: str,
        params: dict[str, str],
        name: str | None,
        head_fallback: bool,
    ) -> None:
        self.handler = handler
        self.pattern = pattern
        self.params = params
        self.name = name
        self.head_fallback = head_fallback


@dataclass(frozen=True, slots=True)
class NotFound:
    """No route matches the path: answer 404."""


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    """Path matches, method does not: 405 (204 to OPTIONS) with sorted ``allow``.

    ``allow`` always contains OPTIONS, and HEAD wherever GET is allowed.
    """

    allow: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Redirect:
    """Nothing matches a path with a trailing slash: answer 308 to ``location``.

    ``location`` has no trailing slashes, one leading slash and no query string.
    """

    location: str


MatchResult: TypeAlias = "Match | NotFound | MethodNotAllowed | Redirect"
_NOT_FOUND = NotFound()


class UrlTemplate:
    """Builds the path of one named route from keyword params (host params excluded)."""

    __slots__ = ("_names", "_parts", "_source")

    def __init__(self, pattern: patterns.Pattern) -> None:
        self._source = pattern.source
        self._parts = tuple(
            (
                seg.kind,
                quote(seg.text, safe=_PCHAR_SAFE) if seg.kind == LITERAL else seg.text,
            )
            for seg in pattern.path
        )
        self._names = frozenset(text for kind, text in self._parts if kind != LITERAL)

    def build(self, name: str, params: Mapping[str, object]) -> str:
        """Fill and percent-quote the params; raise StarioError on missing or extra ones."""
        if params.keys() != self._names:
            raise self._mismatch(name, params)
        out: list[str] = []
        for kind, text in self._parts:
            if kind == LITERAL:
                out.append(text)
                continue
            value = _param_text(name, text, params[text])
            # A catch-all spans segments, so its slashes stay; a {param} is one segment.
            out.append(quote(value, safe="/" if kind == CATCHALL else ""))
        return "/" + "/".join(out)

    def _mismatch(self, name: str, params: Mapping[str, object]) -> StarioError:
        missing = ", ".join(sorted(n for n in self._names if n not in params)) or "none"
        extra = ", ".join(sorted(k for k in params if k not in self._names)) or "none"
        args = "".join(f", {n}=..." for n in sorted(self._names))
        return StarioError(
            f"url_for({name!r}) for {self._source!r}: missing {missing}; unexpected {extra}",
            help="pass exactly the path params (host params are not part of the path)",
            example=f"url_for({name!r}{args})",
        )


def _param_text(route: str, param: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise StarioError(
            f"url_for({route!r}): param {param!r} must be str or int, got {type(value).__name__}",
            example=f"url_for({route!r}, {param}=str(value))",
        )
    text = str(value)
    if not text:
        raise StarioError(
            f"url_for({route!r}): param {param!r} is empty",
            help="params match one or more characters, so an empty value builds a URL "
            "that no route matches",
        )
    return text


def _host_params(labels: tuple[patterns.Segment, ...], host: list[str]) -> dict[str, str] | None:
    """The host params if ``host`` (split on dots) matches ``labels``, else None."""
    if len(labels) != len(host):
        return None
    params: dict[str, str] = {}
    for seg, label in zip(labels, host, strict=True):
        if seg.kind == LITERAL:
            if seg.text != label:
                return None
        elif not label:
            return None
        else:
            params[seg.text] = label
    return params


_Candidates: TypeAlias = "Sequence[tuple[patterns.PathTrie, dict[str, str]]]"


class RouteTable:
    """The frozen routes of a Router; build it with ``Router.compile()``.

    ``match()`` resolves a request, ``url_for()`` builds paths of named routes.
    """

    __slots__ = ("_any_only", "_hosts", "_urls", "has_hosts")

    _any_only: _Candidates
    _hosts: tuple[tuple[tuple[patterns.Segment, ...], patterns.PathTrie], ...]
    has_hosts: bool
    """Some route has a host pattern, so ``match`` needs the request's host."""
    _urls: dict[str, UrlTemplate]

    def __init__(self, routes: Iterable[tuple[str, patterns.Pattern, Handler, str | None]]) -> None:
        any_host = patterns.PathTrie()
        hosts: dict[str, tuple[tuple[patterns.Segment, ...], patterns.PathTrie]] = {}
        urls: dict[str, UrlTemplate] = {}
        for method, pattern, handler, name in routes:
            trie = any_host
            if pattern.host:
                trie = hosts.setdefault(pattern.host_shape, (pattern.host, patterns.PathTrie()))[1]
            trie.add(method, patterns.Leaf(handler, pattern, name, False))
            if name is not None:
                urls[name] = UrlTemplate(pattern)
        for trie in (any_host, *(t for _, t in hosts.values())):
            trie.add_head_fallbacks()
        # Per label, left to right: a literal label beats a {param} label.
        ordered = sorted(hosts.values(), key=lambda h: tuple(seg.kind for seg in h[0]))
        object.__setattr__(self, "_any_only", ((any_host, {}),))
        object.__setattr__(self, "_hosts", tuple(ordered))
        object.__setattr__(self, "has_hosts", bool(ordered))
        object.__setattr__(self, "_urls", urls)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("RouteTable is immutable; register routes and compile() again")

    def match(self, method: str, host: str, raw_path: str) -> MatchResult:
        """Resolve a request; ``host`` is lower-cased without port, ``raw_path`` undecoded.

        Routes of matching host patterns are tried before host-less routes.
        ``method`` is compared as given (HTTP methods are case-sensitive).
        """
        if not raw_path.startswith("/"):
            return _NOT_FOUND
        candidates = self._candidates(host) if self._hosts and host else self._any_only
        for trie, host_params in candidates:
            params = host_params.copy()
            leaf = trie.find(method, raw_path, params)
            if leaf is not None:
                return Match(leaf.handler, leaf.source, params, leaf.name, leaf.head_fallback)
        return self._miss(raw_path, candidates)

    def _candidates(self, host: str) -> _Candidates:
        labels = host.rstrip(".").split(".")
        out: list[tuple[patterns.PathTrie, dict[str, str]]] = []
        for pattern, trie in self._hosts:
            values = _host_params(pattern, labels)
            if values is not None:
                out.append((trie, values))
        out.append(self._any_only[0])
        return out

    def _miss(self, raw_path: str, candidates: _Candidates) -> MatchResult:
        allow: set[str] = set()
        for trie, _ in candidates:
            trie.allowed(raw_path, allow)
        if allow:
            allow.add("OPTIONS")
            return MethodNotAllowed(tuple(sorted(allow)))
        if len(raw_path) > 1 and raw_path.endswith("/"):
            return Redirect(patterns.redirect_location(raw_path))
        return _NOT_FOUND

    def url_for(self, name: str, /, *, query: Query | None = None, **params: str | int) -> str:
        """The path of route ``name`` with ``params`` percent-quoted, plus ``?query``.

        A {param} is quoted whole (``/`` becomes ``%2F``); a catch-all keeps its slashes.
        ``query`` is a mapping or pairs; list values repeat the key. For host routes
        only the path is returned.
        """
        template = self._urls.get(name)
        if template is None:
            known = ", ".join(sorted(self._urls)[:20]) or "none"
            raise StarioError(
                f"url_for: no route named {name!r} (known: {known})",
                help="name routes when registering them",
                example='app.get("/users/{id}", user, name="user")',
            )
        url = template.build(name, params)
        if query:
            encoded = urlencode(query, doseq=True)
            if encoded:
                url += "?" + encoded
        return url
