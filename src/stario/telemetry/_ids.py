"""Span and trace ids: 16 and 32 hex digits, unique without coordination.

Part of the optional compiled build (see "A compiled build" in docs/server.md):
every traced request takes a trace id from here.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Callable
from typing import Final

__all__ = ["new_span_id", "new_trace_id"]

# A private generator so user code calling random.seed() cannot make ids collide.
_rng = random.Random()

_BASE_BITS: Final = 61
"""Bits of the random start of this process's ids. PERF: the start plus the serial
stays below 2**62, which the compiled build keeps in a machine word."""
_RANDOM_HEX_POOL: Final = 4096
"""Hex digits of random bits made at once, for 256 trace ids."""


class _Sequence:
    """This process's ids (a random start and a serial added to it) and random bits."""

    base: int
    serial: Callable[[], int]
    pool: str
    taken: int

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start a new sequence at a random point (at import and in forked children)."""
        _rng.seed()
        self.base = _rng.getrandbits(_BASE_BITS)
        # itertools.count: taking a number is atomic, so threads never share one.
        self.serial = itertools.count(1).__next__
        self.pool = ""
        self.taken = 0

    def next_id(self) -> int:
        """A fresh non-zero 64-bit id: the random start plus the next serial.

        Two processes collide only if their runs of ids overlap somewhere in 2**61
        values, rarer than with independent random ids.
        """
        # PERF: consecutive ids make the SQLite tracer's index inserts land next to
        # each other in a few cached B-tree pages; random ids touch a different page
        # per span, which cost several times more per row once the file outgrew the
        # page cache. The serial starts at 1, so no id is 0 (W3C trace context
        # forbids an all-zero id).
        return self.base + self.serial()

    def random_hex(self) -> str:
        """16 random hex digits (64 bits), cut from a pool made a few KiB at a time."""
        # PERF: one randbytes() and hex() for 256 ids instead of a getrandbits(),
        # to_bytes() and hex() each. Two threads racing here may cut the same
        # digits; their ids still differ in the serial half.
        taken = self.taken
        if taken >= len(self.pool):
            self.pool = _rng.randbytes(_RANDOM_HEX_POOL // 2).hex()
            taken = 0
        self.taken = taken + 16
        return self.pool[taken : taken + 16]


_SEQUENCE: Final = _Sequence()
if hasattr(os, "register_at_fork"):
    # Forked workers must not replay the parent's ids or random digits.
    os.register_at_fork(after_in_child=_SEQUENCE.reset)


def new_span_id() -> str:
    """16 hex digits for a span that is not the root of its trace."""
    # PERF: bytes.hex() is several times faster than format(n, "016x").
    return _SEQUENCE.next_id().to_bytes(8, "big").hex()


def new_trace_id() -> str:
    """32 hex digits for a new trace; the first 16 are the id of its root span.

    The root span's id, then 64 random bits: W3C trace context (level 2) wants the
    right-most 7 bytes random, and the ordered left half keeps the SQLite tracer's
    trace_id index inserts next to each other.
    """
    ids = _SEQUENCE
    return ids.next_id().to_bytes(8, "big").hex() + ids.random_hex()
