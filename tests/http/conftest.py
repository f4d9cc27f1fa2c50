"""Fixtures for driving a ``Connection`` over a ``MemoryTransport``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stario.config import ServerConfig
from stario.http.connection import Connection
from stario.http.registry import ConnectionRegistry
from stario.telemetry import NoopTracer
from stario.testing.transport import MemoryTransport
from tests.http.httpkit import Dispatch

Open = Callable[..., tuple[Connection, MemoryTransport]]


@pytest.fixture
def open_conn() -> Open:
    """``open_conn(dispatch, limit=None, registry=None, **config)`` -> (connection, transport)."""

    def open_(
        dispatch: Dispatch,
        *,
        limit: int | None = None,
        registry: ConnectionRegistry | None = None,
        **config: Any,
    ) -> tuple[Connection, MemoryTransport]:
        conn = Connection(dispatch, ServerConfig(**config), NoopTracer(), registry)
        return conn, MemoryTransport(conn, write_buffer_limit=limit)

    return open_
