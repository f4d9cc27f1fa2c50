"""Loading Datastar in a page: the CDN URL of the 1.0 bundle and a ``<script>`` for it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

from stario.datastar.events import HasHtml

if TYPE_CHECKING:
    from stario.context import Context
    from stario.routing import Router
    from stario.writer import Writer

__all__ = ["BUNDLE_ENV", "DATASTAR_CDN_URL", "DATASTAR_VERSION", "ModuleScript", "serve_bundle"]

BUNDLE_ENV: Final = "DATASTAR_JS_PATH"
"""The environment variable `serve_bundle` reads when no path is given."""

DATASTAR_VERSION: Final = "1.0.1"
"""The Datastar release this package speaks (the 1.0 protocol)."""

DATASTAR_CDN_URL: Final = (
    f"https://cdn.jsdelivr.net/gh/starfederation/datastar@v{DATASTAR_VERSION}/bundles/datastar.js"
)
"""The jsDelivr URL of the Datastar bundle, as given in Datastar's installation guide."""


def ModuleScript(src: str = DATASTAR_CDN_URL) -> HasHtml:
    """``<script type="module" src="...">`` that loads Datastar (put it in the ``<head>``).

    Pass your own ``src`` to serve the bundle yourself, which Datastar recommends.
    """
    from stario.html import Script  # imported here: stario.html is optional for SSE use

    return cast(HasHtml, Script({"type": "module", "src": src}))


def serve_bundle(
    router: Router, path: str | os.PathLike[str] | None = None, *, url: str = "/datastar.js"
) -> str:
    """Serve a local copy of the Datastar bundle and return the URL pages should load.

    ``path`` defaults to the file named by ``$DATASTAR_JS_PATH``. With neither, nothing
    is registered and `DATASTAR_CDN_URL` is returned, so
    ``ModuleScript(serve_bundle(app))`` works with and without a local copy. The file
    is read once, now; a missing file raises ``OSError`` at startup.
    """
    if path is None:
        path = os.environ.get(BUNDLE_ENV) or None
    if path is None:
        return DATASTAR_CDN_URL
    bundle = Path(path).read_bytes()

    async def datastar_js(c: Context, w: Writer) -> None:
        # Revalidated on each load: the same URL may carry a newer file after a deploy.
        w.headers["cache-control"] = "no-cache"
        w.respond(bundle, "text/javascript; charset=utf-8")

    router.get(url, datastar_js)
    return url
