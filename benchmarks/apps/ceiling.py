"""The ceiling: a bare ``asyncio.Protocol`` + httptools + uvloop server, no framework.

``python ceiling.py --port PORT``. Requests are parsed with httptools (pipelining and
keep-alive honoured); answers for fixed routes are precomputed bytes, so the only
per-request work is parsing and one ``transport.write``. It shows how fast the
route mix can go in Python on this machine; it has no routing table, no limits, no
timeouts and no Date header, so it is a bound, not a peer.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from typing import cast

import httptools
import uvloop
from common import HELLO_JSON, JSON_TYPE, PLAINTEXT, TEXT_TYPE, dumps, user, validate

_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found"}


def response(status: int, content_type: str, body: bytes, *, close: bool = False) -> bytes:
    """A whole HTTP/1.1 response with content-length framing."""
    head = b"HTTP/1.1 %d %b\r\ncontent-type: %b\r\ncontent-length: %d\r\n" % (
        status,
        _REASONS[status],
        content_type.encode("latin-1"),
        len(body),
    )
    return head + (b"connection: close\r\n\r\n" if close else b"\r\n") + body


FIXED = {
    b"/plaintext": response(200, TEXT_TYPE, PLAINTEXT),
    b"/json": response(200, JSON_TYPE, dumps(HELLO_JSON)),
}
NOT_FOUND = response(404, TEXT_TYPE, b"Not Found")


class HttpProtocol(asyncio.Protocol):
    """One connection: feed bytes to httptools, answer each complete request."""

    __slots__ = ("_body", "_parser", "_transport", "_url")

    def __init__(self) -> None:
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._transport is not None:
                self._transport.write(response(400, TEXT_TYPE, b"Bad Request", close=True))
                self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._body = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        transport = self._transport
        if transport is None:
            return
        transport.write(self._answer())
        if not self._parser.should_keep_alive():
            transport.close()

    def _answer(self) -> bytes:
        path = self._url.partition(b"?")[0]
        fixed = FIXED.get(path)
        if fixed is not None:
            return fixed
        if path.startswith(b"/user/") and path.count(b"/") == 2:
            return response(200, JSON_TYPE, user(path[6:].decode("latin-1")))
        if path == b"/validate" and self._parser.get_method() == b"POST":
            status, body = validate(b"".join(self._body))
            return response(status, JSON_TYPE, body)
        return NOT_FOUND


async def serve(host: str, port: int) -> None:
    """Listen on ``host:port`` until cancelled."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        HttpProtocol, host, port, reuse_address=True, backlog=2048, family=socket.AF_INET
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    """Parse ``--host``/``--port`` and serve on uvloop."""
    parser = argparse.ArgumentParser(description="bare httptools + uvloop ceiling server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
