"""Validators and preconditions: HTTP dates, ETag matching, ``If-Range`` and ``Range``.

Pure functions over header values (RFC 9110 §8.8, §13, §14), used by ``stario.files``.
"""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from typing import Final

from stario.headers import Headers

__all__ = [
    "UNSATISFIABLE",
    "Unsatisfiable",
    "http_date",
    "if_range_allows",
    "none_match",
    "not_modified",
    "parse_http_date",
    "parse_range",
]


def http_date(seconds: float) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7), e.g. ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return formatdate(seconds, usegmt=True)


def parse_http_date(value: str) -> int | None:
    """Seconds since the epoch for an HTTP date (any of the three RFC 9110 forms), or None."""
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # asctime form: GMT by definition
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return int(parsed.timestamp())
    except (OverflowError, ValueError, OSError):
        return None


# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc excludes '"'.
_ETAG: Final = re.compile(r'[\s,]*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


def none_match(header: str, etag: str) -> bool:
    """Whether ``If-None-Match: header`` matches ``etag`` (weak comparison, ``*`` too)."""
    if header.strip() == "*":
        return True
    opaque = etag[2:] if etag.startswith("W/") else etag
    pos = 0
    while pos < len(header):
        found = _ETAG.match(header, pos)
        if found is None or found.end() == pos:
            return False  # malformed: no match, the full answer is always safe
        if found.group(2) == opaque:
            return True
        pos = found.end()
    return False


def if_range_allows(value: str, etag: str, mtime: int) -> bool:
    """Whether ``If-Range: value`` lets the Range apply (RFC 9110 §13.1.5)."""
    value = value.strip()
    if value.startswith(('"', "W/")):
        # A strong comparison: weak tags never match.
        return not etag.startswith("W/") and value == etag
    return parse_http_date(value) == mtime


def not_modified(headers: Headers, etag: str, mtime: int) -> bool:
    """Whether a GET/HEAD with these headers may be answered 304 (RFC 9110 §13.2.2)."""
    # RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it.
    inm = headers.get("if-none-match")
    if inm is not None:
        return none_match(inm, etag)
    ims = headers.get("if-modified-since")
    if ims is None:
        return False
    since = parse_http_date(ims)
    return since is not None and mtime <= since


# --- ranges -----------------------------------------------------------------------------


class Unsatisfiable:
    """The type of ``UNSATISFIABLE``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSATISFIABLE"


UNSATISFIABLE: Final = Unsatisfiable()
"""``parse_range`` result for a range that selects no byte of the file (answer 416)."""

_RANGE: Final = re.compile(r"\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*", re.IGNORECASE)


def parse_range(value: str, size: int) -> tuple[int, int] | Unsatisfiable | None:
    """The inclusive ``(first, last)`` byte range of a ``Range`` header, for ``size`` bytes.

    None means "send the whole file": a malformed header, another unit, several ranges
    (answered in full rather than as multipart) or an empty file. ``UNSATISFIABLE``
    means the range lies past the end (answer 416).
    """
    found = _RANGE.fullmatch(value)
    if found is None or size == 0:
        return None
    first, last = found.group(1), found.group(2)
    if not first:
        if not last:
            return None
        suffix = int(last)  # RFC 9110 §14.1.2: the last N bytes
        return UNSATISFIABLE if suffix == 0 else (max(0, size - suffix), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid range-spec: ignore the header
    if start >= size:
        return UNSATISFIABLE
    end = min(int(last), size - 1) if last else size - 1
    return start, end
