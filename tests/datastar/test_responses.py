"""One-shot answers: HTML with datastar-* headers, JSON signals, JavaScript."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from stario import App, Context, Writer
from stario.datastar import (
    execute_script_response,
    patch_elements_response,
    patch_signals_response,
)
from stario.html import Li
from stario.testing import TestClient

from .wire import recording_writer

Respond = Callable[[Writer], None]


async def test_html_with_defaults_has_no_datastar_headers() -> None:
    status, headers, body = await _run(lambda w: patch_elements_response(w, '<p id="a">é</p>'))
    assert (status, headers) == (200, {"content-type": "text/html; charset=utf-8"})
    assert body.decode() == '<p id="a">é</p>'


async def test_html_options_travel_in_headers() -> None:
    def respond(w: Writer) -> None:
        patch_elements_response(
            w,
            Li("new"),
            selector="#list > ul",
            mode="append",
            namespace="svg",
            use_view_transition=True,
            status=201,
        )

    status, headers, body = await _run(respond)
    assert status == 201
    assert headers == {
        "content-type": "text/html; charset=utf-8",
        "datastar-selector": "#list > ul",
        "datastar-mode": "append",
        "datastar-namespace": "svg",
        "datastar-use-view-transition": "true",
    }
    assert body == b"<li>new</li>"


async def test_json_signals() -> None:
    status, headers, body = await _run(lambda w: patch_signals_response(w, {"count": 1}))
    assert (status, headers, body) == (200, {"content-type": "application/json"}, b'{"count":1}')
    status, headers, body = await _run(
        lambda w: patch_signals_response(w, '{"a": null}', only_if_missing=True)
    )
    assert headers == {"content-type": "application/json", "datastar-only-if-missing": "true"}
    assert body == b'{"a": null}'


async def test_javascript() -> None:
    _, headers, body = await _run(lambda w: execute_script_response(w, "alert('</script>')"))
    assert headers == {"content-type": "text/javascript; charset=utf-8"}
    assert body == b"alert('</script>')"
    _, headers, _ = await _run(
        lambda w: execute_script_response(w, "x()", attributes={"type": "module", "nonce": "ü"})
    )
    assert headers["datastar-script-attributes"] == '{"type":"module","nonce":"\\u00fc"}'


@pytest.mark.parametrize(
    ("respond", "error"),
    [
        (lambda w: patch_elements_response(w, "<p></p>", selector="#a\r\nx: y"), "single line"),
        (lambda w: patch_elements_response(w, "<p></p>", selector="#ü✓"), "latin-1"),
        (lambda w: patch_elements_response(w, "<p></p>", mode="swap"), "unknown patch mode"),  # type: ignore[arg-type]
        (lambda w: patch_elements_response(w, "<p></p>", namespace="x"), "unknown namespace"),  # type: ignore[arg-type]
    ],
)
def test_bad_options_raise(respond: Respond, error: str) -> None:
    w, sink = recording_writer()
    with pytest.raises(ValueError, match=error):
        respond(w)
    assert sink.sent == []


def _handler(respond: Respond) -> Callable[[Context, Writer], Awaitable[None]]:
    async def handler(c: Context, w: Writer) -> None:
        respond(w)

    return handler


async def _run(respond: Respond) -> tuple[int, dict[str, str], bytes]:
    app = App()
    app.get("/x", _handler(respond))
    async with TestClient(app) as client:
        response = await client.get("/x")
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.startswith("datastar-") or name == "content-type"
    }
    return response.status_code, headers, response.content
