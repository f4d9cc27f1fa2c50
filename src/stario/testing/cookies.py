"""The test client's cookie jar: what a browser would store from ``Set-Cookie``.

Simplified RFC 6265: host-only cookies go back to the same host, ``Domain=`` cookies
to that domain and its subdomains; ``Path`` is matched by prefix (§5.1.4);
``Max-Age`` wins over ``Expires``; a past expiry or ``Max-Age<=0`` deletes. ``Secure``
is recorded but not enforced, because the in-memory connection has no TLS and apps
that set secure session cookies must still work over ``http://testserver``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["Cookie", "CookieJar", "parse_set_cookie"]


@dataclass(slots=True)
class Cookie:
    """One stored cookie and the attributes the server set on it."""

    name: str
    value: str
    domain: str
    path: str = "/"
    host_only: bool = True
    expires: float | None = None
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None

    def expired(self, now: float) -> bool:
        """Whether the cookie's lifetime is over at ``now`` (epoch seconds)."""
        return self.expires is not None and self.expires <= now

    def matches(self, host: str, path: str) -> bool:
        """Whether a request to ``host`` and ``path`` carries this cookie."""
        if self.host_only:
            if host != self.domain:
                return False
        elif host != self.domain and not host.endswith("." + self.domain):
            return False
        return _path_match(path, self.path)


def _path_match(request_path: str, cookie_path: str) -> bool:
    # RFC 6265 §5.1.4: identical, or a prefix ending at a "/" boundary.
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def _default_path(request_path: str) -> str:
    # RFC 6265 §5.1.4: the request path up to, not including, its last "/".
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rfind("/")]


def _expiry(name: str, value: str, now: float) -> float | None:
    if name == "max-age":
        digits = value.removeprefix("-")
        if not digits.isdigit():
            return None
        seconds = int(value)
        return now + seconds if seconds > 0 else 0.0
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def parse_set_cookie(header: str, host: str, request_path: str) -> Cookie | None:
    """Parse one ``Set-Cookie`` value sent for ``host``/``request_path`` (None if invalid)."""
    pair, *attributes = header.split(";")
    name, eq, value = pair.partition("=")
    name, value = name.strip(), value.strip()
    if not eq or not name:
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    cookie = Cookie(name, value, host, _default_path(request_path))
    now = time.time()
    max_age: float | None = None
    expires: float | None = None
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        key, val = key.strip().lower(), val.strip()
        if key == "max-age":
            max_age = _expiry(key, val, now)
        elif key == "expires":
            expires = _expiry(key, val, now)
        elif key == "domain" and val:
            cookie.domain = val.lstrip(".").lower()
            cookie.host_only = False
        elif key == "path" and val.startswith("/"):
            cookie.path = val
        elif key == "secure":
            cookie.secure = True
        elif key == "httponly":
            cookie.http_only = True
        elif key == "samesite":
            cookie.same_site = val
    cookie.expires = max_age if max_age is not None else expires
    return cookie


class CookieJar(MutableMapping[str, str]):
    """Cookies the client keeps between requests, usable as a ``{name: value}`` dict.

    ``jar["theme"] = "dark"`` stores a host-only cookie for the client's base host at
    path ``/``; reading by name returns the first live cookie with that name (any host
    or path); ``del jar[name]`` removes every cookie with that name. ``cookies`` lists
    the full ``Cookie`` records, attributes included.
    """

    def __init__(self, default_host: str = "testserver") -> None:
        self._default_host = default_host
        self._cookies: list[Cookie] = []

    @property
    def cookies(self) -> list[Cookie]:
        """The live cookies, oldest first."""
        self._expire()
        return list(self._cookies)

    def store(self, cookie: Cookie) -> None:
        """Store ``cookie`` (replacing one with the same name, domain and path)."""
        key = (cookie.name, cookie.domain, cookie.path)
        self._cookies = [c for c in self._cookies if (c.name, c.domain, c.path) != key]
        if not cookie.expired(time.time()):
            self._cookies.append(cookie)

    def extract(self, set_cookie_headers: Iterable[str], host: str, path: str) -> None:
        """Store what a response's ``Set-Cookie`` headers say (deletions included)."""
        for header in set_cookie_headers:
            cookie = parse_set_cookie(header, host, path)
            if cookie is not None:
                self.store(cookie)

    def header_for(self, host: str, path: str) -> dict[str, str]:
        """The cookies a request to ``host``/``path`` sends, longest path first."""
        self._expire()
        matching = [c for c in self._cookies if c.matches(host, path)]
        # RFC 6265 §5.4: longer paths first; otherwise oldest first (sort is stable).
        matching.sort(key=lambda c: len(c.path), reverse=True)
        out: dict[str, str] = {}
        for cookie in matching:
            out.setdefault(cookie.name, cookie.value)
        return out

    def set(self, name: str, value: str, *, domain: str | None = None, path: str = "/") -> None:
        """Store a cookie as if the server had set it (host-only unless ``domain``)."""
        host_only = domain is None
        self.store(Cookie(name, value, (domain or self._default_host).lower(), path, host_only))

    def _expire(self) -> None:
        now = time.time()
        self._cookies = [c for c in self._cookies if not c.expired(now)]

    def __getitem__(self, name: str) -> str:
        for cookie in self.cookies:
            if cookie.name == name:
                return cookie.value
        raise KeyError(name)

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        before = len(self._cookies)
        self._cookies = [c for c in self._cookies if c.name != name]
        if len(self._cookies) == before:
            raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(c.name for c in self.cookies))

    def __len__(self) -> int:
        return len(dict.fromkeys(c.name for c in self.cookies))

    def __repr__(self) -> str:
        return f"CookieJar({dict(self.items())!r})"
