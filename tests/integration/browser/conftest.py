"""Every test in this directory carries the ``browser`` marker (select with ``-m browser``).

The fixtures (`serve`, `datastar_js`, `page`, `new_page`, `shot`, `check_console`)
live in ``tests/integration/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
