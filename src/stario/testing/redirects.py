"""Following redirects the way a browser does, for the test client."""

from __future__ import annotations

from dataclasses import replace
from typing import Final
from urllib.parse import urljoin, urlsplit

from stario.errors import StarioError
from stario.headers import Headers
from stario.testing.encoding import origin_of
from stario.testing.errors import TooManyRedirects
from stario.testing.exchange import RequestPlan
from stario.testing.response import Response

__all__ = ["MAX_REDIRECTS", "follow", "redirect_target"]

MAX_REDIRECTS: Final = 20
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
# Headers that describe a body; dropped with it when a redirect turns into a GET.
_BODY_HEADERS: Final = ("content-type", "content-length", "transfer-encoding")


def redirect_target(plan: RequestPlan, status: int, location: str | None) -> str | None:
    """The absolute URL to follow, or None (not a redirect, not followed, not http)."""
    if not plan.follow or status not in _REDIRECTS or location is None:
        return None
    url = urljoin(plan.url, location).partition("#")[0]
    return url if urlsplit(url).scheme in ("http", "https") else None


def follow(plan: RequestPlan, response: Response, history: list[Response]) -> RequestPlan | None:
    """The request ``response`` redirects to, or None when it is final.

    Raises ``TooManyRedirects`` past ``MAX_REDIRECTS`` hops.
    """
    url = redirect_target(plan, response.status_code, response.headers.get("location"))
    if url is None:
        return None
    if len(history) >= MAX_REDIRECTS:
        first = (history or [response])[0].url
        raise TooManyRedirects(
            f"more than {MAX_REDIRECTS} redirects from {first}", [*history, response]
        )
    method, body = plan.method, plan.body
    # RFC 9110 §15.4: 303 (and, as browsers do, 301/302) turn into a GET; 307/308 keep all.
    if response.status_code in (301, 302, 303) and method != "HEAD":
        method, body = "GET", None
    if body is not None and body.stream is not None:
        raise StarioError(
            f"cannot resend a streamed request body after a {response.status_code} redirect",
            help="pass the body as bytes, or follow_redirects=False",
        )
    headers = Headers(plan.headers.items())
    if body is None:
        for name in _BODY_HEADERS:
            headers.pop(name)
    if origin_of(url)[1] != origin_of(plan.url)[1]:
        # SECURITY: credentials for one host never travel to another.
        headers.pop("authorization")
        headers.pop("cookie")
    return replace(plan, method=method, url=url, body=body, headers=headers)
