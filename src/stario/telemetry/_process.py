"""Process hooks shared by tracers that write from a background thread.

A tracer registered with ``track()`` is closed at interpreter exit (a forgotten
``close()`` would lose what is still queued), and is kept consistent across
``fork()``: in-flight writes finish before the fork, and the child starts afresh.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from typing import Protocol

__all__ = ["ProcessBound", "track"]


class ProcessBound(Protocol):
    """What ``track()`` needs from a tracer."""

    close_timeout: float
    _io_lock: threading.Lock

    def close(self) -> None:
        """Flush and stop."""

    def _after_fork(self) -> None:
        """Start over in a forked child (new queue, new writer thread)."""


_live: weakref.WeakSet[ProcessBound] = weakref.WeakSet()
_held: list[threading.Lock] = []
_installed = False


def track(tracer: ProcessBound) -> None:
    """Close ``tracer`` at exit and carry it safely across ``fork()``."""
    global _installed
    _live.add(tracer)
    if _installed:
        return
    _installed = True
    atexit.register(_close_all)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_hold_writes, after_in_parent=_release, after_in_child=_reset)


def _close_all() -> None:
    for tracer in list(_live):
        tracer.close()


def _hold_writes() -> None:
    # Wait for in-flight writes; a sink stuck longer than the close timeout is
    # stuck in the child too, so it must not block fork() forever.
    for tracer in list(_live):
        if tracer._io_lock.acquire(timeout=tracer.close_timeout):
            _held.append(tracer._io_lock)


def _release() -> None:
    while _held:
        _held.pop().release()


def _reset() -> None:
    _release()
    for tracer in list(_live):
        tracer._after_fork()
