"""Reading the ``Cookie`` header and writing ``Set-Cookie`` headers (RFC 6265)."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Protocol

from stario.errors import StarioError

__all__ = ["delete_cookie", "format_set_cookie", "parse_cookie_header", "set_cookie"]

# RFC 6265 §4.1.1: cookie-name is an RFC 2616 token.
_TOKEN = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
# RFC 6265 §4.1.1: cookie-octet excludes CTLs, whitespace, DQUOTE, comma, semicolon, backslash.
_COOKIE_OCTET = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset('",;\\')
# RFC 6265 §4.1.1: path-value and extension values are any CHAR except CTLs or ";".
_ATTR_CHAR = frozenset(chr(c) for c in range(0x20, 0x7F)) - frozenset(";")
_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}
# RFC 6265bis §5.6: user agents ignore cookies whose name plus value exceed 4096 octets.
_MAX_COOKIE = 4096
_ENCODE_HELP = "encode it first, e.g. with base64 or urllib.parse.quote"


class _HeaderAdder(Protocol):
    def add(self, name: str, value: str) -> None: ...


class _HasHeaders(Protocol):
    @property
    def headers(self) -> _HeaderAdder: ...


def parse_cookie_header(value: str) -> dict[str, str]:
    """Parse a ``Cookie`` header (``a=1; b="2"``) into ``{"a": "1", "b": "2"}``.

    Tolerant, as browsers send all sorts: whitespace is stripped, double quotes around a
    value are removed, the first occurrence of a name wins and pieces without a name or
    ``=`` are skipped. Values are not percent-decoded. Never raises.
    """
    cookies: dict[str, str] = {}
    for piece in value.split(";"):
        name, eq, val = piece.partition("=")
        name = name.strip()
        if not eq or not name:
            continue
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
        cookies.setdefault(name, val)
    return cookies


def _check_name(name: str) -> None:
    if not name or not _TOKEN.issuperset(name):
        raise StarioError(
            f"invalid cookie name {name!r}",
            help="cookie names are tokens: letters, digits and !#$%&'*+-.^_`|~",
            example='set_cookie(w, "theme", "dark")',
        )


def _check_value(name: str, value: str) -> None:
    inner = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if not _COOKIE_OCTET.issuperset(inner):
        raise StarioError(
            f"cookie {name!r} has a value with characters cookies cannot carry "
            "(space, quote, comma, semicolon, backslash, control or non-ASCII)",
            help=_ENCODE_HELP,
            example=f'set_cookie(w, "{name}", urllib.parse.quote(value))',
        )
    if len(name) + len(value) > _MAX_COOKIE:
        raise StarioError(
            f"cookie {name!r} is {len(name) + len(value)} bytes; browsers drop cookies "
            f"over {_MAX_COOKIE}",
            help="keep large data on the server and put only an id in the cookie",
        )


def _check_attr(attr: str, value: str) -> None:
    if not _ATTR_CHAR.issuperset(value):
        raise StarioError(
            f"cookie {attr} {value!r} contains ';', a control or a non-ASCII character",
            help=f"pass a plain ASCII {attr.lower()}",
        )


def _samesite(samesite: str | None, secure: bool) -> str | None:
    if samesite is None:
        return None
    written = _SAMESITE.get(samesite.lower())
    if written is None:
        raise StarioError(
            f"samesite must be 'lax', 'strict', 'none' or None, got {samesite!r}",
            example='set_cookie(w, "sid", sid, samesite="strict")',
        )
    if written == "None" and not secure:
        raise StarioError(
            "SameSite=None cookies must also be Secure; browsers reject them otherwise",
            example='set_cookie(w, "sid", sid, samesite="none", secure=True)',
        )
    return written


def _check_prefix(name: str, path: str | None, domain: str | None, secure: bool) -> None:
    # RFC 6265bis §4.1.3: browsers reject prefixed cookies that break the prefix rules.
    lowered = name.lower()
    if lowered.startswith(("__secure-", "__host-")) and not secure:
        raise StarioError(
            f"cookie {name!r} has a __Secure-/__Host- prefix and must be set with secure=True"
        )
    if lowered.startswith("__host-") and (domain is not None or path != "/"):
        raise StarioError(
            f"cookie {name!r} has a __Host- prefix and must use path='/' and no domain"
        )


def _max_age(max_age: int | timedelta) -> str:
    if isinstance(max_age, timedelta):
        seconds = int(max_age.total_seconds())
    elif isinstance(max_age, int) and not isinstance(max_age, bool):
        seconds = max_age
    else:
        raise StarioError(
            f"max_age must be int seconds or a timedelta, got {type(max_age).__name__}",
            example="set_cookie(w, 'sid', sid, max_age=timedelta(days=30))",
        )
    # A negative Max-Age means "expire now", which 0 says within the grammar.
    return str(max(seconds, 0))


def _expires(expires: datetime | int | float) -> str:
    if isinstance(expires, datetime):
        # A naive datetime is taken to be UTC (cookies are always dated in GMT).
        when = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires
    elif isinstance(expires, int | float) and not isinstance(expires, bool):
        when = datetime.fromtimestamp(expires, tz=UTC)
    else:
        raise StarioError(
            f"expires must be a datetime or epoch seconds, got {type(expires).__name__}",
            help="max_age is usually simpler",
            example="set_cookie(w, 'sid', sid, max_age=3600)",
        )
    # RFC 6265 §5.1.1 / RFC 9110 §5.6.7: IMF-fixdate in GMT.
    return format_datetime(when.astimezone(UTC), usegmt=True)


def format_set_cookie(
    name: str,
    value: str,
    *,
    max_age: int | timedelta | None = None,
    expires: datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "lax",
    partitioned: bool = False,
) -> str:
    """Build a ``Set-Cookie`` header value, e.g. ``sid=abc; Path=/; HttpOnly; SameSite=Lax``.

    Raises ``StarioError`` for a name that is not a token, a value with characters a
    cookie cannot carry, an unknown ``samesite``, ``SameSite=None`` or ``partitioned``
    without ``secure``, and prefixed names (``__Secure-``, ``__Host-``) that break
    their rules. ``samesite=None`` leaves the attribute out.
    """
    _check_name(name)
    _check_value(name, value)
    _check_prefix(name, path, domain, secure)
    parts = [f"{name}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={_max_age(max_age)}")
    if expires is not None:
        parts.append(f"Expires={_expires(expires)}")
    if domain is not None:
        _check_attr("Domain", domain)
        parts.append(f"Domain={domain}")
    if path is not None:
        _check_attr("Path", path)
        parts.append(f"Path={path}")
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    written = _samesite(samesite, secure)
    if written is not None:
        parts.append(f"SameSite={written}")
    if partitioned:
        if not secure:
            raise StarioError(
                "partitioned cookies must also be Secure; browsers reject them otherwise",
                example='set_cookie(w, "sid", sid, secure=True, partitioned=True)',
            )
        parts.append("Partitioned")
    return "; ".join(parts)


def set_cookie(
    w: _HasHeaders,
    name: str,
    value: str,
    *,
    max_age: int | timedelta | None = None,
    expires: datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "lax",
    partitioned: bool = False,
) -> None:
    """Add a ``Set-Cookie`` header to the response; see ``format_set_cookie`` for rules.

    Values must be cookie-safe ASCII; encode anything else first (base64,
    ``urllib.parse.quote``). Nothing is sent until the response head is.
    """
    header = format_set_cookie(
        name,
        value,
        max_age=max_age,
        expires=expires,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
        partitioned=partitioned,
    )
    w.headers.add("set-cookie", header)


def delete_cookie(
    w: _HasHeaders,
    name: str,
    *,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "lax",
    partitioned: bool = False,
) -> None:
    """Tell the browser to drop cookie ``name`` (empty value, ``Max-Age=0``, 1970 expiry).

    ``path``, ``domain`` and ``partitioned`` must match those the cookie was set with,
    or the browser keeps it.
    """
    header = format_set_cookie(
        name,
        "",
        max_age=0,
        expires=0,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
        partitioned=partitioned,
    )
    w.headers.add("set-cookie", header)
