"""Every test in this directory carries the ``caddy`` marker (select with ``-m caddy``).

They run a real Caddy (``scripts/install-caddy``) with ``tls internal`` on a loopback
port in front of a real ``stario serve``; without Caddy or an HTTP/2-capable curl they
are skipped with a message saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "caddy: a real Caddy in front of stario (skipped without Caddy)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.caddy)
