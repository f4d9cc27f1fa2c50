"""Datastar 1.0 for stario: SSE events, signals, ``data-*`` attributes and ``@`` actions.

::

    from stario.datastar import SSE, at, data, read_signals

    async def counter(c: Context, w: Writer) -> None:
        signals = await read_signals(c.req)
        sse = SSE(w)
        sse.patch_signals({"count": signals.get("count", 0) + 1})

    Button(data.on("click", at.post("/counter")), "+1")
"""

from __future__ import annotations

from stario.datastar.actions import Actions, SignalFilter, at
from stario.datastar.attributes import Attrs, DataAttributes, data
from stario.datastar.events import Content, HasHtml, Mode, Namespace
from stario.datastar.js import JS
from stario.datastar.responses import (
    execute_script_response,
    patch_elements_response,
    patch_signals_response,
)
from stario.datastar.script import (
    BUNDLE_ENV,
    DATASTAR_CDN_URL,
    DATASTAR_VERSION,
    ModuleScript,
    serve_bundle,
)
from stario.datastar.signals import read_signals
from stario.datastar.sse import SSE
from stario.datastar.syntax import Duration, Pattern, Timing

__all__ = [
    "BUNDLE_ENV",
    "DATASTAR_CDN_URL",
    "DATASTAR_VERSION",
    "JS",
    "SSE",
    "Actions",
    "Attrs",
    "Content",
    "DataAttributes",
    "Duration",
    "HasHtml",
    "Mode",
    "ModuleScript",
    "Namespace",
    "Pattern",
    "SignalFilter",
    "Timing",
    "at",
    "data",
    "execute_script_response",
    "patch_elements_response",
    "patch_signals_response",
    "read_signals",
    "serve_bundle",
]
