"""``read_signals``: the Datastar signals a browser sent with a request."""

from __future__ import annotations

import json
from typing import Any

from stario.errors import HttpException
from stario.forms import parse_content_type
from stario.request import Request

__all__ = ["read_signals"]

# Datastar 1.0 sends no request body for these methods: signals ride in ?datastar=...
_QUERY_METHODS = frozenset({"GET", "HEAD", "DELETE"})
# With contentType: 'form' Datastar sends the form instead of signals.
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


async def read_signals(req: Request) -> dict[str, Any]:
    """The signals Datastar sent with ``req``, as a dict (``{}`` when none were sent).

    GET and DELETE carry them as JSON in the ``datastar`` query parameter, other methods
    as the JSON body (a DELETE without the parameter falls back to its body, as older
    Datastar clients send it there). A form submission (``contentType: 'form'``) has no
    signals and leaves the body unread for ``await req.form()``. Invalid JSON, or JSON that
    is not an object, is answered with 400.
    """
    if req.method in _QUERY_METHODS:
        raw: str | bytes | None = req.query.get("datastar")
        if raw is None and req.method == "DELETE":
            raw = await _body(req)
    else:
        raw = await _body(req)
    if raw is None or not raw.strip():
        return {}
    try:
        signals = json.loads(raw)
    except (ValueError, RecursionError):  # also UnicodeDecodeError; absurd nesting depth
        raise HttpException(400, "invalid Datastar signals: not valid JSON") from None
    if not isinstance(signals, dict):
        raise HttpException(400, "invalid Datastar signals: expected a JSON object")
    return signals


async def _body(req: Request) -> bytes | None:
    media, _ = parse_content_type(req.headers.get("content-type") or "")
    if media in _FORM_TYPES:
        return None
    return await req.body()
