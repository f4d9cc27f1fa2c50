"""Fixtures: the demo app's log and a running TestClient around it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stario.telemetry import MemoryTracer
from stario.testing import TestClient

from .demo import Log, make_bootstrap


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
async def client(log: Log) -> AsyncIterator[TestClient[MemoryTracer]]:
    async with TestClient(make_bootstrap(log)) as client:
        yield client
