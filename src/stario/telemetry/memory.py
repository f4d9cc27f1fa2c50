"""A tracer that keeps finished spans in a list, for tests and assertions."""

from __future__ import annotations

from .span import Span
from .tracer import BaseTracer

__all__ = ["MemoryTracer"]


class MemoryTracer(BaseTracer):
    """Keeps every ended span in `spans`, in the order they ended."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def export(self, span: Span) -> None:
        """Append the ended span to `spans`."""
        self.spans.append(span)

    def find(self, name: str) -> list[Span]:
        """The ended spans called `name`, in the order they ended."""
        return [span for span in self.spans if span.name == name]

    def clear(self) -> None:
        """Forget all recorded spans."""
        self.spans.clear()
