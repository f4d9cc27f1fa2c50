"""Type aliases shared across the package: handlers and middleware."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from stario.context import Context
    from stario.writer import Writer

Handler: TypeAlias = "Callable[[Context, Writer], Awaitable[None]]"
Middleware: TypeAlias = "Callable[[Handler], Handler]"

__all__ = ["Handler", "Middleware"]
