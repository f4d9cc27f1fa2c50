"""One-call responses: ``text``, ``html``, ``json``, ``redirect``, ``empty``, ``file``."""

from __future__ import annotations

import json as _stdlib_json
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from stario.errors import StarioError
from stario.files import send_file
from stario.writer import Writer

if TYPE_CHECKING:
    from stario.context import Context

__all__ = ["dumps", "empty", "file", "html", "json", "redirect", "text"]


class _Renderable(Protocol):
    def __html__(self) -> str: ...


def _stdlib_dumps() -> Callable[[Any], bytes]:
    """Compact UTF-8 JSON from the standard library's C encoder, built once.

    ``json.dumps(value, separators=...)`` builds a new encoder on every call, which
    costs more than encoding a small object. This keeps one, without the
    circular-reference check (its shared bookkeeping would outlive a failed call), so a
    cyclic value raises RecursionError instead of ValueError.
    """
    import json.encoder as stdlib_encoder

    fallback = _stdlib_json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    # Not in the typing stubs; None on an interpreter without the _json accelerator.
    make: Callable[..., Callable[[Any, int], Iterable[str]]] | None = getattr(
        stdlib_encoder, "c_make_encoder", None
    )
    if make is None:
        return lambda value: fallback.encode(value).encode("utf-8")
    # Arguments: markers, default, string encoder, indent, key separator, item
    # separator, sort_keys, skipkeys, allow_nan (as json.dumps' defaults).
    encode = make(
        None, fallback.default, stdlib_encoder.encode_basestring, None, ":", ",", False, False, True
    )
    return lambda value: "".join(encode(value, 0)).encode("utf-8")


def _pick_dumps() -> Callable[[Any], bytes]:
    # PERF: orjson is several times faster; it is used when installed.
    try:
        import orjson  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return _stdlib_dumps()
    return orjson.dumps  # type: ignore[no-any-return, unused-ignore]


dumps: Callable[[Any], bytes] = _pick_dumps()


def text(w: Writer, body: str, status: int = 200) -> None:
    """Answer with ``text/plain; charset=utf-8``."""
    w.respond(body.encode("utf-8"), "text/plain; charset=utf-8", status)


def html(w: Writer, body: str | bytes | _Renderable, status: int = 200) -> None:
    """Answer with ``text/html; charset=utf-8`` (a string, bytes, or an HTML node)."""
    if hasattr(body, "__html__"):
        body = body.__html__()
    data = body.encode("utf-8") if isinstance(body, str) else body
    assert isinstance(data, bytes)
    w.respond(data, "text/html; charset=utf-8", status)


def json(w: Writer, value: Any, status: int = 200) -> None:
    """Answer with compact UTF-8 JSON (``application/json``)."""
    w.respond(dumps(value), "application/json", status)


def empty(w: Writer, status: int = 204) -> None:
    """Answer with no body."""
    w.respond(b"", "text/plain", status)


async def file(
    c: Context,
    w: Writer,
    path: str | os.PathLike[str],
    *,
    content_type: str | None = None,
    download_name: str | None = None,
    inline: bool = False,
) -> None:
    """Send a file from disk: ``await responses.file(c, w, path)``.

    Answers 304 to ``If-None-Match``/``If-Modified-Since``, 206/416 to one ``Range``
    (``If-Range`` honoured), HEAD without the body, and 404 when ``path`` is not a
    regular file. Large files are streamed in chunks read in a worker thread.
    ``Content-Disposition`` is ``attachment`` with ``download_name`` (default: the
    file's name); ``inline=True`` asks the browser to show it instead. ``content_type``
    defaults to a guess from the name. ``path`` is used as given: never build it from
    request data without checking it (``stario.static`` serves a directory safely).
    """
    await send_file(
        c.req, w, path, content_type=content_type, download_name=download_name, inline=inline
    )


# Characters kept as they are in a Location; everything else is percent-quoted.
_LOCATION_SAFE = "/:?#[]@!$&'()*+,;=%-._~"


def redirect(w: Writer, url: str, status: int = 307) -> None:
    """Redirect to ``url`` (3xx), refusing targets that could go somewhere unexpected.

    SECURITY: CR/LF (header injection), ``//host`` and backslashes (which browsers
    treat as another host), and ``javascript:`` URLs are rejected.
    """
    if not 300 <= status <= 399:
        raise StarioError(f"redirect status must be 3xx, got {status}")
    check_redirect_target(url)
    w.headers.set("location", quote(url, safe=_LOCATION_SAFE))
    w.respond(b"", "text/plain", status)


def check_redirect_target(url: str) -> None:
    """Raise StarioError when ``url`` is not a safe redirect target."""
    stripped = url.strip()
    lowered = "".join(stripped.split()).lower()
    problem = ""
    if "\r" in url or "\n" in url or "\x00" in url:
        problem = "contains a line break or NUL"
    elif "\\" in url:
        problem = "contains a backslash"
    elif stripped.startswith("//"):
        problem = "is protocol-relative (//host), which leaves the site"
    elif lowered.startswith(("javascript:", "data:", "vbscript:")):
        problem = "uses a script scheme"
    if problem:
        raise StarioError(
            f"unsafe redirect target {url!r}: it {problem}",
            help="redirect to a path on this site or to an absolute http(s) URL",
            example='responses.redirect(w, "/login")',
        )
