"""Testing helpers: ``TestClient`` drives an app through the real HTTP/1.1 code in memory.

::

    from stario.testing import TestClient

    async def test_home():
        async with TestClient(bootstrap) as client:
            response = await client.get("/")
            assert response.status_code == 200

    def test_home_sync():
        with TestClient(bootstrap) as client:
            assert client.get("/").text == "Hello"
"""

from __future__ import annotations

from stario.testing.client import StreamContext, TestClient
from stario.testing.connection import ClientConnection
from stario.testing.cookies import Cookie, CookieJar
from stario.testing.encoding import ClientRequest, RequestOptions
from stario.testing.errors import HTTPStatusError, ProtocolError, ServerError, TooManyRedirects
from stario.testing.response import Response, ResponseBase, StreamingResponse
from stario.testing.sse import EventStreamParser, ServerSentEvent
from stario.testing.sync import (
    SyncClientConnection,
    SyncStreamContext,
    SyncStreamingResponse,
    SyncTestClient,
)
from stario.testing.transport import MemoryTransport

__all__ = [
    "ClientConnection",
    "ClientRequest",
    "Cookie",
    "CookieJar",
    "EventStreamParser",
    "HTTPStatusError",
    "MemoryTransport",
    "ProtocolError",
    "RequestOptions",
    "Response",
    "ResponseBase",
    "ServerError",
    "ServerSentEvent",
    "StreamContext",
    "StreamingResponse",
    "SyncClientConnection",
    "SyncStreamContext",
    "SyncStreamingResponse",
    "SyncTestClient",
    "TestClient",
    "TooManyRedirects",
]
