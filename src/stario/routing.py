"""Explicit routing: register routes on a Router, compile them into a RouteTable.

The table, and what matching returns, live in ``stario.routetable`` (re-exported here).

Registration validates eagerly (duplicate routes and names, param clashes, bad
patterns) so mistakes surface at startup. ``Router.compile()`` freezes the routes
into a segment trie and composes middleware once; matching a request then costs a
dict lookup per path segment, or a single dict lookup for literal-only paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeAlias

from stario import patterns
from stario.errors import StarioError
from stario.routetable import (
    Match,
    MatchResult,
    MethodNotAllowed,
    NotFound,
    Query,
    Redirect,
    RouteInfo,
    RouteTable,
)
from stario.types import Handler, Middleware

__all__ = [
    "Match",
    "MatchResult",
    "MethodNotAllowed",
    "NotFound",
    "Query",
    "Redirect",
    "RouteInfo",
    "RouteTable",
    "Router",
]

# RFC 9110 §9.1 / §5.6.2: a method is a token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


# method, pattern relative to its router, handler, name, route middleware
_RouteSpec: TypeAlias = "tuple[str, patterns.Pattern, Handler, str | None, tuple[Middleware, ...]]"
# prefix, mounted router, mount middleware
_MountSpec: TypeAlias = "tuple[str, Router, tuple[Middleware, ...]]"


def _check_method(method: str) -> str:
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise StarioError(
            f"invalid HTTP method {method!r}",
            help="a method is a token such as GET, POST or a custom one like PURGE",
            example='app.handle("PURGE", "/cache", purge)',
        )
    return method.upper()


def _check_middleware(middleware: Iterable[Middleware], where: str) -> tuple[Middleware, ...]:
    items = tuple(middleware) if isinstance(middleware, Iterable) else (middleware,)
    for mw in items:
        if not callable(mw):
            raise StarioError(
                f"{where}: middleware {mw!r} is not callable",
                help="middleware is a list of functions taking and returning a handler",
                example="app.get('/admin', admin, middleware=[require_login])",
            )
    return items


def _compose(handler: Handler, chain: Sequence[Middleware], pattern: str) -> Handler:
    for mw in reversed(chain):  # chain[0] ends up outermost
        handler = mw(handler)
        if not callable(handler):
            raise StarioError(
                f"middleware {mw!r} returned {handler!r} for route {pattern!r}",
                help="middleware must return the wrapped handler",
                example="def mw(h):\n    async def wrapped(c, w):\n        await h(c, w)\n"
                "    return wrapped",
            )
    return handler


class Router:
    """A set of routes, mounts and middleware; ``compile()`` turns it into a RouteTable.

    Patterns: ``/users/{id}`` (one segment), ``/files/{path...}`` (rest of the path,
    last only), ``api.example.com/users`` and ``{tenant}.example.com/`` (host-aware).
    Mistakes raise StarioError here, at registration.
    """

    def __init__(self, *, middleware: Sequence[Middleware] = ()) -> None:
        self._middleware: list[Middleware] = list(_check_middleware(middleware, "Router"))
        self._routes: list[_RouteSpec] = []
        self._mounts: list[_MountSpec] = []
        self._parent: Router | None = None
        self._prefix = ""
        # Conflict checks for the whole tree live in the root router's registry.
        self._registry = patterns.Registry()
        self._frozen = False

    @property
    def middleware(self) -> tuple[Middleware, ...]:
        """Router-wide middleware (constructor, then ``use()``), outermost first."""
        return tuple(self._middleware)

    def get(
        self,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Route GET (and, unless a HEAD route exists, HEAD) requests to ``handler``."""
        self.handle("GET", pattern, handler, name=name, middleware=middleware)

    def post(
        self,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Route POST requests for ``pattern`` to ``handler``."""
        self.handle("POST", pattern, handler, name=name, middleware=middleware)

    def put(
        self,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Route PUT requests for ``pattern`` to ``handler``."""
        self.handle("PUT", pattern, handler, name=name, middleware=middleware)

    def patch(
        self,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Route PATCH requests for ``pattern`` to ``handler``."""
        self.handle("PATCH", pattern, handler, name=name, middleware=middleware)

    def delete(
        self,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Route DELETE requests for ``pattern`` to ``handler``."""
        self.handle("DELETE", pattern, handler, name=name, middleware=middleware)

    def head(
        self,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Route HEAD requests for ``pattern`` to ``handler`` instead of the GET route."""
        self.handle("HEAD", pattern, handler, name=name, middleware=middleware)

    def options(
        self,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Route OPTIONS requests for ``pattern`` to ``handler``."""
        self.handle("OPTIONS", pattern, handler, name=name, middleware=middleware)

    def handle(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        """Route ``method`` (upper-cased) requests for ``pattern`` to ``handler``."""
        method = _check_method(method)
        parsed = patterns.parse_pattern(pattern)
        if not callable(handler):
            raise StarioError(
                f"handler for {method} {pattern!r} is not callable: {handler!r}",
                help="pass the async function itself, without calling it",
                example=f'app.handle("{method}", "{pattern}", handler)',
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise StarioError(
                f"route name must be a non-empty string, got {name!r}",
                help="names identify routes for url_for(); leave it out if unused",
                example='app.get("/users/{id}", user, name="user")',
            )
        chain = _check_middleware(middleware, f"{method} {pattern!r}")
        root, prefix = self._root()
        root._check_open(f"{method} {pattern!r}")
        root._registry.add(method, patterns.parse_pattern(patterns.join(prefix, pattern)), name)
        self._routes.append((method, parsed, handler, name, chain))

    def mount(self, prefix: str, router: Router, *, middleware: Sequence[Middleware] = ()) -> None:
        """Serve ``router``'s routes under ``prefix`` (``"/api"``; may contain params).

        Route names are kept as they are. Routes added to ``router`` later are included.
        A router can be mounted once, and never into itself or its own mounts.
        """
        if not isinstance(router, Router):
            raise StarioError(
                f"mount() needs a Router, got {router!r}",
                help="group routes in a Router, then mount it",
                example='api = Router()\napi.get("/users", users)\napp.mount("/api", api)',
            )
        prefix = patterns.check_prefix(prefix)
        node: Router | None = self
        while node is not None and node is not router:
            node = node._parent
        if router._parent is not None or node is router:
            raise StarioError(
                f"cannot mount {router!r} at {prefix!r}: it is already mounted, or it "
                "contains this router",
                help="a router belongs to one place; create one router per mount point",
                example='app.mount("/v1", make_api())\napp.mount("/v2", make_api())',
            )
        chain = _check_middleware(middleware, f"mount({prefix!r})")
        root, outer = self._root()
        root._check_open(f"mount {prefix!r}")
        root._registry = root._registry.merged(router._registry, outer + prefix)
        router._parent = self
        router._prefix = prefix
        self._mounts.append((prefix, router, chain))

    def use(self, *middleware: Middleware) -> None:
        """Add router-wide middleware, outside mount and route middleware."""
        self._root()[0]._check_open("middleware")
        self._middleware.extend(_check_middleware(middleware, "use()"))

    def compile(self) -> RouteTable:
        """Freeze routes, mounts and middleware into a RouteTable.

        Middleware composes once, here, outermost first: this router's, then each
        mount's (outer first, each followed by the mounted router's own), then the
        route's. Later registrations need another compile().
        """
        routes: list[tuple[str, patterns.Pattern, Handler, str | None]] = []
        self._flatten("", (), routes)
        return RouteTable(routes)

    def _flatten(
        self,
        prefix: str,
        outer: tuple[Middleware, ...],
        out: list[tuple[str, patterns.Pattern, Handler, str | None]],
    ) -> None:
        chain = (*outer, *self._middleware)
        for method, relative, handler, name, route_mw in self._routes:
            pattern = (
                patterns.parse_pattern(patterns.join(prefix, relative.source))
                if prefix
                else relative
            )
            composed = _compose(handler, (*chain, *route_mw), pattern.source)
            out.append((method, pattern, composed, name))
        for mount_prefix, router, mount_mw in self._mounts:
            router._flatten(prefix + mount_prefix, (*chain, *mount_mw), out)

    def _check_open(self, what: str) -> None:
        # A route added after compile() would never be served; say so instead.
        if self._frozen:
            raise StarioError(
                f"cannot register {what}: the routes were already compiled",
                help="register every route, mount and middleware in bootstrap, before `yield`",
            )

    def _root(self) -> tuple[Router, str]:
        """The outermost router and the joined mount prefixes from it down to self."""
        node, prefix = self, ""
        while node._parent is not None:
            prefix = node._prefix + prefix
            node = node._parent
        return node, prefix
