"""The tracer that records nothing and costs nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .span import NOOP_SPAN, AttrValue, Span

__all__ = ["NoopTracer"]


class NoopTracer:
    """A tracer whose `start()` always returns the shared `NOOP_SPAN`."""

    __slots__ = ()

    def start(
        self,
        name: str,
        *,
        parent: Span | None = None,
        attributes: Mapping[str, AttrValue] | None = None,
        links: Sequence[Span] = (),
    ) -> Span:
        """Return `NOOP_SPAN`; nothing is allocated or recorded."""
        return NOOP_SPAN

    def close(self) -> None:
        """Do nothing."""
