"""``SSE``: a Datastar event stream on one response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stario.datastar import events
from stario.datastar.events import Content, Mode, Namespace
from stario.errors import StarioError
from stario.writer import Writer

__all__ = ["SSE"]

# ``x-accel-buffering: no`` keeps nginx-style proxies from holding events back.
_HEADERS = (
    ("content-type", "text/event-stream"),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
)


class SSE:
    """Send Datastar 1.0 events on ``w`` as a ``text/event-stream`` response.

    Creating it sends the response head at once (status 200 unless ``w.status_code``
    was changed), so set cookies and headers before. Each method writes one whole event
    with one ``w.write()``, so it leaves immediately. The methods do not wait; in a loop
    that sends a lot, ``await sse.drain()`` lets a slow client push back::

        sse = SSE(w)
        async with c.alive():
            async for update in relay.subscribe("board.*"):
                sse.patch_elements(render_board(update))
                await sse.drain()
    """

    __slots__ = ("_w",)

    def __init__(self, w: Writer) -> None:
        if w.started:
            raise StarioError(
                "SSE(w) needs a response that has not started",
                help="create the SSE before writing anything else to the response",
            )
        for name, value in _HEADERS:
            w.headers.set(name, value)
        w.write_headers()
        self._w = w

    @property
    def writer(self) -> Writer:
        """The response this stream writes to."""
        return self._w

    async def drain(self) -> None:
        """Wait until the client has taken what was sent (transport backpressure)."""
        await self._w.drain()

    def patch_elements(
        self,
        content: Content,
        *,
        selector: str | None = None,
        mode: Mode = "outer",
        namespace: Namespace = "html",
        use_view_transition: bool = False,
        view_transition_selector: str | None = None,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> None:
        """Patch elements into the page (``datastar-patch-elements``).

        ``content`` is trusted markup (a str) or an HTML node; without a ``selector`` its
        top-level elements are matched by id. ``mode`` is outer (morph, the default),
        inner, replace, prepend, append, before, after or remove. Options that keep their
        default are not sent. ``view_transition_selector`` is sent only together with
        ``use_view_transition=True``.
        """
        self._w.write(
            events.patch_elements(
                content,
                selector=selector,
                mode=mode,
                namespace=namespace,
                use_view_transition=use_view_transition,
                view_transition_selector=view_transition_selector,
                event_id=event_id,
                retry=retry,
            )
        )

    def remove(
        self,
        selector: str,
        *,
        use_view_transition: bool = False,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> None:
        """Remove the elements matching ``selector`` (a patch in ``remove`` mode)."""
        if not selector:
            raise ValueError("remove() needs a CSS selector, e.g. sse.remove('#toast')")
        self._w.write(
            events.patch_elements(
                None,
                selector=selector,
                mode="remove",
                use_view_transition=use_view_transition,
                event_id=event_id,
                retry=retry,
            )
        )

    def patch_signals(
        self,
        signals: Mapping[str, Any] | str,
        *,
        only_if_missing: bool = False,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> None:
        """Patch signals (``datastar-patch-signals``, JSON Merge Patch semantics).

        A mapping is sent as compact JSON (``None`` removes a signal); a str must already
        be JSON. With ``only_if_missing`` existing signals keep their values.
        """
        self._w.write(
            events.patch_signals(
                signals, only_if_missing=only_if_missing, event_id=event_id, retry=retry
            )
        )

    def execute_script(
        self,
        code: str,
        *,
        auto_remove: bool = True,
        attributes: Mapping[str, str | bool] | None = None,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> None:
        """Run JavaScript in the page: a ``<script>`` element appended to ``body``.

        The element removes itself after running unless ``auto_remove=False``.
        ``attributes`` are added to it (values HTML-escaped), e.g. ``{"type": "module"}``.
        """
        element = events.script_element(code, auto_remove=auto_remove, attributes=attributes)
        self._w.write(
            events.patch_elements(
                element, selector="body", mode="append", event_id=event_id, retry=retry
            )
        )

    def navigate(self, url: str, *, event_id: str | None = None, retry: int | None = None) -> None:
        """Send the browser to ``url`` (a script setting ``window.location``).

        ``url`` is checked like a redirect target (no ``javascript:``, ``//host`` or line
        breaks) and JSON-encoded into the script.
        """
        self.execute_script(events.navigate_code(url), event_id=event_id, retry=retry)

    def __repr__(self) -> str:
        return f"<SSE completed={self._w.completed}>"
