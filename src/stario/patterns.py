"""Route patterns: parsing, registration-time conflict checks and the matching trie.

A pattern is an optional host part followed by a path: ``/users/{id}``,
``/files/{path...}``, ``api.example.com/users``, ``{tenant}.example.com/``.
Literal path segments are written decoded (``/café``, ``/a b``); requests are
percent-decoded per segment before they are compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from stario.errors import StarioError
from stario.types import Handler

__all__ = [
    "CATCHALL",
    "LITERAL",
    "PARAM",
    "Leaf",
    "PathTrie",
    "Pattern",
    "Registry",
    "Segment",
    "check_prefix",
    "join",
    "parse_pattern",
    "redirect_location",
]

LITERAL = 0
PARAM = 1
CATCHALL = 2

_BRACED = re.compile(r"\{([^{}]*)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Keeps existing %-escapes and path punctuation; escapes CR, LF, spaces and non-ASCII.
_LOCATION_SAFE = "/%!$&'()*+,;=:@~"


@dataclass(frozen=True, slots=True)
class Segment:
    """One path segment or host label: literal ``text``, or the name of a param."""

    kind: int
    text: str

    @property
    def shape(self) -> str:
        """The segment with param names erased, for duplicate detection."""
        return self.text if self.kind == LITERAL else ("{}" if self.kind == PARAM else "{...}")


@dataclass(frozen=True, slots=True)
class Pattern:
    """A parsed, validated route pattern; ``source`` is the text as registered."""

    source: str
    host: tuple[Segment, ...]
    path: tuple[Segment, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Param names in match order: host labels first, then path segments."""
        return tuple(s.text for s in (*self.host, *self.path) if s.kind != LITERAL)

    @property
    def host_shape(self) -> str:
        """The host part with param names erased (empty for any-host patterns)."""
        return ".".join(s.shape for s in self.host)

    @property
    def path_shape(self) -> str:
        """The path with param names erased: ``/users/{id}`` -> ``/users/{}``."""
        return "/" + "/".join(s.shape for s in self.path)


def _bad(source: object, problem: str, help: str, example: str) -> StarioError:
    return StarioError(f"invalid route pattern {source!r}: {problem}", help=help, example=example)


def parse_pattern(source: object) -> Pattern:
    """Parse and validate ``source``; raise StarioError with a hint when it is malformed."""
    if not isinstance(source, str) or not source:
        raise _bad(
            source, "expected a non-empty string", "patterns are paths", 'app.get("/", home)'
        )
    if "?" in source or "#" in source:
        raise _bad(
            source,
            "patterns match paths only, not query strings or fragments",
            "read query parameters from the request instead",
            'app.get("/search", search)',
        )
    if _CONTROL.search(source):
        raise _bad(source, "control characters", "remove them", 'app.get("/users", users)')
    host_text, path_text = _split_host(source)
    host = _parse_host(source, host_text) if host_text else ()
    pattern = Pattern(source, host, _parse_path(source, path_text))
    names = pattern.names
    if len(set(names)) != len(names):
        raise _bad(
            source,
            f"param {{{next(n for n in names if names.count(n) > 1)}}} appears twice",
            "give every param in a pattern (mount prefix included) its own name",
            'app.get("/teams/{team}/users/{user}", member)',
        )
    return pattern


def _split_host(source: str) -> tuple[str, str]:
    if source.startswith("/"):
        return "", source
    cut = source.find("/")
    host = source if cut < 0 else source[:cut]
    if "." not in host or cut < 0:
        raise _bad(
            source,
            "a path pattern must start with '/'",
            "write the path from the root; a host pattern is a dotted host followed by a "
            "path, like 'api.example.com/'",
            'app.get("/users", users)\napp.get("api.example.com/users", api_users)',
        )
    return host, source[cut:]


def _parse_host(source: str, text: str) -> tuple[Segment, ...]:
    if "...}" in text:
        raise _bad(
            source,
            "a host label cannot be a catch-all",
            "use one {param} per label",
            'app.get("{tenant}.example.com/", home)',
        )
    labels: list[Segment] = []
    for label in text.split("."):
        if not label:
            raise _bad(source, "empty host label", "separate labels by one dot", "api.example.com/")
        if ":" in label:
            raise _bad(
                source,
                "host patterns never include a port",
                "the port is stripped from the Host header before matching",
                'app.get("api.example.com/users", users)',
            )
        seg = _parse_segment(source, label)
        # The caller lower-cases the Host header, so literal labels must be lower-case too.
        labels.append(Segment(LITERAL, label.lower()) if seg.kind == LITERAL else seg)
    return tuple(labels)


def _parse_path(source: str, text: str) -> tuple[Segment, ...]:
    if text == "/":
        return ()
    if text.endswith("/"):
        raise _bad(
            source,
            "trailing slash",
            "register the path without it; requests with a trailing slash are "
            "redirected (308) to the path without one",
            f'app.get("{source.rstrip("/")}", handler)',
        )
    parts = text[1:].split("/")
    segments: list[Segment] = []
    for i, part in enumerate(parts):
        if not part:
            raise _bad(source, "empty path segment ('//')", "use single slashes", "/a/b")
        seg = _parse_segment(source, part)
        if seg.kind == CATCHALL and i != len(parts) - 1:
            raise _bad(
                source,
                f"catch-all {{{seg.text}...}} must be the last segment",
                "a catch-all takes the rest of the path, so nothing can follow it",
                'app.get("/files/{path...}", files)',
            )
        segments.append(seg)
    return tuple(segments)


def _parse_segment(source: str, part: str) -> Segment:
    if "{" not in part and "}" not in part:
        if part in (".", ".."):
            raise _bad(
                source, "'.' or '..' segment", "clients resolve these before sending", "/a/b"
            )
        return Segment(LITERAL, part)
    found = _BRACED.fullmatch(part)
    if found is None:
        raise _bad(
            source,
            f"bad braces in {part!r}",
            "a segment is either literal text or one whole {param} / {param...}",
            'app.get("/users/{id}", user)',
        )
    inner = found.group(1)
    kind = CATCHALL if inner.endswith("...") else PARAM
    name = inner[:-3] if kind == CATCHALL else inner
    if not name.isidentifier():
        raise _bad(
            source,
            f"param name {name!r} is not a Python identifier",
            "params are passed to url_for() as keyword arguments",
            'app.get("/users/{user_id}", user)',
        )
    if name == "query":
        raise _bad(
            source,
            "'query' is reserved as a param name",
            "url_for() takes query=... for the query string; choose another name",
            'app.get("/search/{term}", search)',
        )
    return Segment(kind, name)


def join(prefix: str, source: str) -> str:
    """Put a mount ``prefix`` in front of a pattern's path, keeping any host part first."""
    if not prefix:
        return source
    host, path = _split_host(source)
    return host + prefix + ("" if path == "/" else path)


def check_prefix(prefix: object) -> str:
    """Validate a mount prefix; return it normalised (``""`` and ``"/"`` mean the root)."""
    example = 'app.mount("/api", api)'
    if not isinstance(prefix, str):
        raise StarioError(
            f"mount prefix must be a string, got {prefix!r}", help="a path", example=example
        )
    if prefix in ("", "/"):
        return ""
    if prefix.endswith("/"):
        raise StarioError(
            f"mount prefix {prefix!r} ends with '/'",
            help="the mounted routes start with '/' already",
            example=example,
        )
    parsed = parse_pattern(prefix)
    if parsed.host or any(seg.kind == CATCHALL for seg in parsed.path):
        raise StarioError(
            f"mount prefix {prefix!r} must be a path without host or catch-all",
            help="put hosts and catch-alls on routes; prefixes may use {param}",
            example='app.mount("/teams/{team}", team_router)',
        )
    return prefix


def _positions(pattern: Pattern) -> list[tuple[str, str]]:
    """Key every param by its place in the trie, so clashing names can be spotted."""
    out: list[tuple[str, str]] = []
    host_shape = pattern.host_shape
    for i, seg in enumerate(pattern.host):
        if seg.kind != LITERAL:
            out.append((f"{host_shape}#{i}", seg.text))
    key = host_shape + "|"
    for seg in pattern.path:
        key += "/" + seg.shape
        if seg.kind != LITERAL:
            out.append((key, seg.text))
    return out


class Registry:
    """Everything registered under one root router, checked for conflicts as it arrives."""

    __slots__ = ("_entries", "_names", "_params", "_shapes")

    def __init__(self) -> None:
        self._entries: list[tuple[str, Pattern, str | None]] = []
        self._shapes: dict[tuple[str, str, str], str] = {}
        self._names: dict[str, str] = {}
        self._params: dict[str, tuple[str, str]] = {}

    def add(self, method: str, pattern: Pattern, name: str | None) -> None:
        """Record a route; raise StarioError if it clashes with one already recorded."""
        shape = (method, pattern.host_shape, pattern.path_shape)
        if shape in self._shapes:
            raise StarioError(
                f"duplicate route {method} {pattern.source!r}: "
                f"{method} {self._shapes[shape]!r} already matches the same paths",
                help="each method and path shape may be registered once; param names "
                "do not make two patterns different",
                example='app.get("/users/{id}", user)  # once',
            )
        if name is not None and name in self._names:
            raise StarioError(
                f"duplicate route name {name!r} (already used by {self._names[name]!r})",
                help="names identify routes for url_for(); pick a unique one",
                example='app.get("/users/{id}", user, name="user")',
            )
        positions = _positions(pattern)
        for key, param in positions:
            taken = self._params.get(key)
            if taken is not None and taken[0] != param:
                raise StarioError(
                    f"param {{{param}}} in {pattern.source!r} conflicts with "
                    f"{{{taken[0]}}} in {taken[1]!r} at the same position",
                    help="routes sharing a path prefix must use the same param name at "
                    "each position; rename one of them",
                    example='app.get("/users/{id}/posts", posts)\n'
                    'app.get("/users/{id}/likes", likes)',
                )
        self._entries.append((method, pattern, name))
        self._shapes[shape] = pattern.source
        if name is not None:
            self._names[name] = pattern.source
        for key, param in positions:
            self._params.setdefault(key, (param, pattern.source))

    def merged(self, other: Registry, prefix: str) -> Registry:
        """A new registry holding ours plus ``other``'s routes under ``prefix``."""
        new = Registry()
        new._entries = list(self._entries)
        new._shapes = dict(self._shapes)
        new._names = dict(self._names)
        new._params = dict(self._params)
        for method, pattern, name in other._entries:
            new.add(method, parse_pattern(join(prefix, pattern.source)), name)
        return new


class Leaf:
    """A compiled route at the end of a trie path: the handler and how to report it."""

    __slots__ = ("handler", "head_fallback", "name", "pattern", "source")

    def __init__(
        self, handler: Handler, pattern: Pattern, name: str | None, head_fallback: bool
    ) -> None:
        self.handler = handler
        self.pattern = pattern
        self.source = pattern.source
        self.name = name
        self.head_fallback = head_fallback


class _Node:
    """A trie node: children by literal segment, one {param} child, one catch-all."""

    __slots__ = ("catchall", "catchall_name", "literals", "methods", "param", "param_name")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.param: _Node | None = None
        # Registry allows one name per position, so the walk can fill params directly.
        self.param_name = ""
        self.catchall: dict[str, Leaf] | None = None
        self.catchall_name = ""
        self.methods: dict[str, Leaf] | None = None


def _split(raw_path: str) -> list[str]:
    """Segments from index 1 on (index 0 is the empty text before the leading slash)."""
    if raw_path == "/":
        return [""]
    segments = raw_path.split("/")
    if "%" in raw_path:
        # Decode per segment so "%2F" stays inside its segment instead of splitting it.
        segments = [unquote(s, errors="replace") for s in segments]
    return segments


def _walk(node: _Node, segs: list[str], i: int, method: str, params: dict[str, str]) -> Leaf | None:
    """Depth-first, literal before {param} before catch-all, backtracking on failure.

    Each node is visited at most once per request, so the cost is bounded by the trie.
    """
    end = len(segs)
    # PERF: descend in a loop while there is one way down; recurse only at forks.
    while i < end:
        seg = segs[i]
        child = node.literals.get(seg)
        if node.catchall is not None or (child is not None and node.param is not None and seg):
            return _fork(node, child, segs, i, method, params)
        if child is not None:
            node = child
        elif node.param is not None and seg:
            params[node.param_name] = seg
            node = node.param
        else:
            return None
        i += 1
    return node.methods.get(method) if node.methods is not None else None


def _fork(
    node: _Node, child: _Node | None, segs: list[str], i: int, method: str, params: dict[str, str]
) -> Leaf | None:
    """Try each way down from ``node`` in priority order, dropping params of dead ends."""
    mark, seg = len(params), segs[i]
    if child is not None:
        leaf = _walk(child, segs, i + 1, method, params)
        if leaf is not None:
            return leaf
        _truncate(params, mark)
    if node.param is not None and seg:
        params[node.param_name] = seg
        leaf = _walk(node.param, segs, i + 1, method, params)
        if leaf is not None:
            return leaf
        _truncate(params, mark)
    # A catch-all takes one or more characters: "/files/" leaves it nothing.
    if node.catchall is not None and (seg or len(segs) - i > 1):
        leaf = node.catchall.get(method)
        if leaf is not None:
            params[node.catchall_name] = "/".join(segs[i:])
            return leaf
    return None


def _truncate(params: dict[str, str], size: int) -> None:
    # Names along one trie path are distinct, so params only ever grew past ``size``.
    for key in list(params)[size:]:
        del params[key]


class PathTrie:
    """The segment trie for one host pattern (or for any host)."""

    __slots__ = ("_dicts", "_methods", "_root", "_static")

    def __init__(self) -> None:
        self._root = _Node()
        # PERF: literal-only paths map straight from the raw path to their methods.
        self._static: dict[str, dict[str, Leaf]] = {}
        self._dicts: list[dict[str, Leaf]] = []
        self._methods: set[str] = set()

    def add(self, method: str, leaf: Leaf) -> None:
        """Insert ``leaf`` for ``method`` at its pattern's path."""
        node, path = self._root, leaf.pattern.path
        for seg in path:
            if seg.kind == LITERAL:
                node = node.literals.setdefault(seg.text, _Node())
            elif seg.kind == PARAM:
                node.param, node.param_name = node.param or _Node(), seg.text
                node = node.param
            else:
                node.catchall, node.catchall_name = node.catchall or self._new_dict(), seg.text
        if path and path[-1].kind == CATCHALL:
            methods = node.catchall
        else:
            node.methods = methods = node.methods or self._new_dict()
            if all(seg.kind == LITERAL for seg in path):
                self._static["/" + "/".join(seg.text for seg in path)] = methods
        assert methods is not None
        assert method not in methods, "Registry rejects duplicates before compile()"
        methods[method] = leaf
        self._methods.add(method)

    def _new_dict(self) -> dict[str, Leaf]:
        self._dicts.append({})
        return self._dicts[-1]

    def add_head_fallbacks(self) -> None:
        """Let HEAD use the GET route wherever no HEAD route is registered."""
        for methods in self._dicts:
            get = methods.get("GET")
            if get is not None and "HEAD" not in methods:
                methods["HEAD"] = Leaf(get.handler, get.pattern, get.name, True)
                self._methods.add("HEAD")

    def find(self, method: str, raw_path: str, params: dict[str, str]) -> Leaf | None:
        """The best leaf for the request; adds its path params to ``params``."""
        if "%" not in raw_path:  # PERF: without escapes the raw path is the decoded path
            methods = self._static.get(raw_path)
            if methods is not None:
                leaf = methods.get(method)
                if leaf is not None:
                    return leaf
        return _walk(self._root, _split(raw_path), 1, method, params)

    def allowed(self, raw_path: str, allow: set[str]) -> None:
        """Add to ``allow`` the methods of every route matching ``raw_path`` (slow path)."""
        segs = _split(raw_path)
        allow.update(m for m in self._methods if _walk(self._root, segs, 1, m, {}) is not None)


def redirect_location(raw_path: str) -> str:
    """The 308 target for a path with trailing slashes: the path without them."""
    # SECURITY: collapse leading "/" and "\" so "//evil.example/" (or "/\evil.example/",
    # which browsers treat alike) can never become a scheme-relative, off-site Location.
    path = raw_path.rstrip("/").lstrip("/\\")
    return "/" + quote(path, safe=_LOCATION_SAFE)
