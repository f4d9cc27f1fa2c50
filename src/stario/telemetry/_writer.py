"""The background writer shared by the tracers that write spans somewhere slow.

`QueuedTracer` keeps ended spans in a bounded in-memory queue; one daemon thread,
started on the first span, takes them out in batches and hands each batch to the
subclass. A full queue drops spans (counted) instead of slowing requests down or
growing memory without bound. The module also closes forgotten tracers at exit and
keeps each tracer usable in a child process after `fork()`.
"""

from __future__ import annotations

import os
import sys
import threading
from abc import abstractmethod
from collections import deque
from typing import Generic, TypeVar

from ._process import track
from ._recorders import offer
from .tracer import BaseTracer

__all__ = ["QueuedTracer", "int_setting", "warn"]

T = TypeVar("T")

_IDLE_WAIT = 1.0


class QueuedTracer(BaseTracer, Generic[T]):
    """A `BaseTracer` whose spans are written in batches by a background thread.

    Subclasses call `_enqueue(item)` from `export()` and implement
    `_write_batch(batch)`, which runs on the writer thread and must hold `_io_lock`
    around the I/O itself. `dropped` counts items refused because the queue was full
    or the tracer closed, plus whatever a subclass gives up on.
    """

    _kind = "queued"
    """Names the tracer in its thread name and its report on standard error."""

    linger: float = 0.05
    """Seconds the writer waits for a fuller batch before writing a partial one."""

    def __init__(self, *, max_queue: int, batch_size: int, close_timeout: float) -> None:
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.close_timeout = close_timeout
        self._closed = False
        self._init_queue()
        track(self)

    def _init_queue(self) -> None:
        # RLock: close() from a signal handler that interrupted export() on the
        # same thread must not deadlock on the lock export() already holds.
        self._cond = threading.Condition(threading.RLock())
        self._queue: deque[T] = deque()
        # True while items may skip the lock: the writer runs and close() has not begun.
        self._accepting = False
        self._busy = False
        self._flushing = 0
        self._dropped = 0
        self._thread: threading.Thread | None = None
        # Held around each write so fork() never copies a lock of the sink (a stream
        # buffer, SQLite's own mutexes) in a locked state: the child would hang.
        self._io_lock = threading.Lock()

    @property
    def dropped(self) -> int:
        """Items refused (queue full, tracer closed) or given up on by the writer."""
        return self._dropped

    def _enqueue(self, item: T) -> None:
        # The request recorders queue through the same function.
        offer(self, item, self.max_queue, self.batch_size)

    def _enqueue_slow(self, item: T) -> None:
        with self._cond:
            if self._closed or len(self._queue) >= self.max_queue:
                self._dropped += 1
                return
            self._queue.append(item)
            if self._thread is None:
                self._start_writer()
            self._cond.notify_all()

    def _wake(self) -> None:
        """Wake the writer thread: work appeared, or a full batch is ready."""
        with self._cond:
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every span exported so far is written or dropped.

        Returns False if that did not happen within `timeout` seconds.
        """
        if threading.current_thread() is self._thread:
            return False  # the writer waiting for itself would never wake up
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)
            finally:
                self._flushing -= 1

    def close(self) -> None:
        """Write everything queued, stop the writer thread, report drops on stderr."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._accepting = False
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.close_timeout)
        with self._cond:
            # The writer is stuck on a blocked sink: what it never took is lost.
            self._dropped += len(self._queue)
            self._queue.clear()
        self._report()

    def _report(self) -> None:
        if self.dropped:
            warn(f"stario: {self._kind} tracer dropped {self.dropped} spans (queue full)")

    def _start_writer(self) -> None:
        # Started lazily so a tracer built before fork() gets its thread in the child.
        self._thread = threading.Thread(
            target=self._run, name=f"stario-{self._kind}-tracer", daemon=True
        )
        self._thread.start()
        self._accepting = True

    def _run(self) -> None:
        try:
            while (batch := self._next_batch()) is not None:
                try:
                    self._write_batch(batch)
                except Exception:  # a bug in a sink must not kill the writer thread
                    self._count_dropped(len(batch))
                finally:
                    with self._cond:
                        self._busy = False
                        self._cond.notify_all()
        finally:
            self._writer_exit()

    def _next_batch(self) -> list[T] | None:
        queue = self._queue
        with self._cond:
            while not queue:
                if self._closed:
                    return None
                # Bounded: a wake-up lost to racing producers costs at most this long.
                self._cond.wait(_IDLE_WAIT)
            if len(queue) < self.batch_size and not (self._closed or self._flushing):
                # PERF: one write per `linger` under load instead of one per span.
                self._cond.wait(self.linger)
            count = min(len(queue), self.batch_size)
            self._busy = True
            return [queue.popleft() for _ in range(count)]

    @abstractmethod
    def _write_batch(self, batch: list[T]) -> None:
        """Write one batch; runs on the writer thread."""

    def _writer_exit(self) -> None:
        """Called on the writer thread when it stops (after close). Default: nothing."""

    def _count_dropped(self, count: int) -> None:
        with self._cond:
            self._dropped += count

    def _pause(self, seconds: float) -> None:
        """Wait `seconds` on the writer thread, cut short once the tracer is closing."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed, seconds)

    def _after_fork(self) -> None:
        # The parent's lock may be held by a thread that does not exist here, and
        # the parent still owns (and will write) what was queued before the fork.
        self._init_queue()


def int_setting(owner: str, name: str, given: int | None, env: str, default: int) -> int:
    """`given` if set, else the integer in environment variable `env`, else `default`.

    Anything below 1 raises `ValueError` naming `owner`'s parameter or the variable.
    """
    if given is not None:
        if given < 1:
            raise ValueError(f"{owner} {name} must be >= 1, got {given}")
        return given
    raw = os.environ.get(env)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{env} must be an integer >= 1, got {raw!r}")
    return value


def warn(line: str) -> None:
    """Print one line on standard error, if there is one that still works."""
    try:
        if sys.stderr is not None:
            print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
