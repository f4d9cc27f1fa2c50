"""stario: real-time hypermedia for Python on its own fast HTTP/1.1 server."""

from __future__ import annotations

from stario import responses
from stario.app import App
from stario.config import ServerConfig
from stario.context import Context, RouteInfo
from stario.errors import ClientDisconnected, HttpException, RedirectException, StarioError
from stario.headers import Headers
from stario.request import Request
from stario.routing import Router
from stario.server import Server
from stario.static import AssetManifest, StaticAssets
from stario.telemetry import Span, Tracer
from stario.types import Handler, Middleware
from stario.writer import Writer

__version__ = "0.1.0"

__all__ = [
    "App",
    "AssetManifest",
    "ClientDisconnected",
    "Context",
    "Handler",
    "Headers",
    "HttpException",
    "Middleware",
    "RedirectException",
    "Request",
    "RouteInfo",
    "Router",
    "Server",
    "ServerConfig",
    "Span",
    "StarioError",
    "StaticAssets",
    "Tracer",
    "Writer",
    "__version__",
    "responses",
]
