"""Loading Datastar in a page: the CDN URL of the 1.0 bundle and a ``<script>`` for it."""

from __future__ import annotations

from typing import Final, cast

from stario.datastar.events import HasHtml

__all__ = ["DATASTAR_CDN_URL", "DATASTAR_VERSION", "ModuleScript"]

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
