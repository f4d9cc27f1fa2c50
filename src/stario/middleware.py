"""Opt-in middleware that ships with stario: ``security_headers``.

stario adds no security headers by itself. ``app.use(security_headers(...))``
gives every response a chosen set, as defaults a handler can still change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from stario.context import Context
    from stario.types import Handler, Middleware
    from stario.writer import Writer

__all__ = ["security_headers"]

# W3C Referrer Policy §3: the values a browser understands.
_REFERRER_POLICIES: Final = frozenset(
    {
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
)
_FRAME_ANCESTORS: Final = {"DENY": "'none'", "SAMEORIGIN": "'self'"}


def security_headers(
    *,
    hsts: str | None = None,
    content_type_options: bool = True,
    referrer_policy: str | None = "strict-origin-when-cross-origin",
    frame_options: str | None = "DENY",
    permissions_policy: str | None = None,
    csp: str | None = None,
) -> Middleware:
    """Middleware that gives responses security headers unless the handler set its own.

    - ``hsts``: the ``Strict-Transport-Security`` value, e.g.
      ``"max-age=31536000; includeSubDomains"``; off by default because browsers
      then refuse plain HTTP for that long. Send it only from sites served over HTTPS.
    - ``content_type_options``: ``X-Content-Type-Options: nosniff``.
    - ``referrer_policy``: ``Referrer-Policy`` (one or more comma-separated policies).
    - ``frame_options``: ``"DENY"`` or ``"SAMEORIGIN"`` for ``X-Frame-Options``; with
      ``csp`` it also adds the matching ``frame-ancestors`` unless ``csp`` has one.
    - ``permissions_policy``: ``Permissions-Policy``, e.g. ``"camera=(), microphone=()"``.
    - ``csp``: ``Content-Security-Policy``.

    ``None`` (or ``False``) leaves a header out. The headers are set before the
    handler runs, so streamed responses carry them too, and a handler replaces one
    with ``w.headers[name] = value`` or drops it with ``w.headers.pop(name)``;
    a header an outer middleware already set is kept. Bad values (CR, LF, NUL,
    non-Latin-1 text, unknown policies) raise ``ValueError`` here, at startup.
    """
    defaults = _defaults(
        hsts=hsts,
        content_type_options=content_type_options,
        referrer_policy=referrer_policy,
        frame_options=frame_options,
        permissions_policy=permissions_policy,
        csp=csp,
    )

    def middleware(handler: Handler) -> Handler:
        async def with_security_headers(c: Context, w: Writer) -> None:
            headers = w.headers
            for name, value in defaults:
                if name not in headers:
                    headers.add(name, value)
            await handler(c, w)

        return with_security_headers

    return middleware


def _defaults(
    *,
    hsts: str | None,
    content_type_options: bool,
    referrer_policy: str | None,
    frame_options: str | None,
    permissions_policy: str | None,
    csp: str | None,
) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if hsts is not None:
        out.append(("strict-transport-security", _hsts(_value("hsts", hsts))))
    if content_type_options:
        out.append(("x-content-type-options", "nosniff"))
    if referrer_policy is not None:
        out.append(("referrer-policy", _referrer(_value("referrer_policy", referrer_policy))))
    ancestors = None
    if frame_options is not None:
        option = _value("frame_options", frame_options).upper()
        if option not in _FRAME_ANCESTORS:
            raise ValueError(f"frame_options must be 'DENY' or 'SAMEORIGIN', got {frame_options!r}")
        out.append(("x-frame-options", option))
        ancestors = _FRAME_ANCESTORS[option]
    if permissions_policy is not None:
        out.append(("permissions-policy", _value("permissions_policy", permissions_policy)))
    if csp is not None:
        out.append(("content-security-policy", _csp(_value("csp", csp), ancestors)))
    return tuple(out)


def _value(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string or None, got {type(value).__name__}")
    # SECURITY: a line break in a header value would let it split the response.
    if any(ch in value for ch in "\r\n\x00"):
        raise ValueError(f"{name} must not contain CR, LF or NUL: {value!r}")
    text = value.strip()
    if not text:
        raise ValueError(f"{name} must not be empty; use None to leave the header out")
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"{name} must be printable ASCII: {value!r}")
    return text


def _hsts(value: str) -> str:
    directives = [d.strip().lower() for d in value.split(";")]
    max_age = [d for d in directives if d.startswith("max-age=")]
    if len(max_age) != 1 or not max_age[0].removeprefix("max-age=").strip('"').isdigit():
        raise ValueError(
            f"hsts needs exactly one max-age=SECONDS, got {value!r}; "
            'e.g. "max-age=31536000; includeSubDomains"'
        )
    return value


def _referrer(value: str) -> str:
    for policy in value.split(","):
        if policy.strip().lower() not in _REFERRER_POLICIES:
            known = ", ".join(sorted(_REFERRER_POLICIES))
            raise ValueError(f"referrer_policy {policy.strip()!r} is not one of: {known}")
    return value


def _csp(value: str, ancestors: str | None) -> str:
    # X-Frame-Options is obsolete in browsers that honour CSP; keep both in step.
    directives = [d.strip().split(" ", 1)[0].lower() for d in value.split(";")]
    if ancestors is None or "frame-ancestors" in directives:
        return value
    return f"{value.rstrip().rstrip(';')}; frame-ancestors {ancestors}"
