"""Exception events keep the user's frames and drop the framework's leading ones."""

from __future__ import annotations

from stario import App, Context, Writer
from stario.telemetry import format_traceback
from stario.testing import TestClient


def _explode() -> None:
    raise ValueError("boom")


async def handler(c: Context, w: Writer) -> None:
    _explode()


async def test_request_span_traceback_starts_at_the_handler() -> None:
    app = App()
    app.get("/", handler)
    async with TestClient(app) as client:
        response = await client.get("/")
        assert response.status_code == 500
        assert "boom" not in response.text  # never a traceback to the client
        (span,) = client.tracer.find("GET")
    assert span.status == "error"
    (event,) = [e for e in span.events if e.name == "exception"]
    body = event.body or ""
    assert "in handler" in body
    assert "in _explode" in body
    assert "ValueError: boom" in body
    assert "stario/app.py" not in body
    assert "stario/http/connection.py" not in body


def test_tracebacks_outside_the_framework_are_kept_whole() -> None:
    try:
        _explode()
    except ValueError as exc:
        text = format_traceback(exc)
    assert text.startswith("Traceback (most recent call last):")
    assert "in test_tracebacks_outside_the_framework_are_kept_whole" in text
    assert "in _explode" in text
