"""A tracer for humans at a terminal: finished requests as span trees, plus a live footer.

`export()` and `on_start()` only touch a bounded queue and a dict under a lock; a
daemon thread renders (see `tty_render.py`) and writes. On a terminal with colour on,
the requests still running are listed in a footer at the bottom, redrawn at most every
`refresh` seconds with ANSI cursor movement; anywhere else only finished trees are
written, with no cursor control codes at all.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections import deque
from typing import Protocol

from ._process import track
from .span import Span
from .tracer import BaseTracer
from .tty_render import Theme, TraceBuffer, render_footer

__all__ = ["TextSink", "TtyTracer", "color_wanted", "is_terminal"]

DEFAULT_QUEUE = 10_000
_GLYPHS = "├─└│•✗↳…µ"


class TextSink(Protocol):
    """Where `TtyTracer` writes: anything with `write(str)` and `flush()`."""

    def write(self, text: str, /) -> object:
        """Write all of `text`."""
        ...

    def flush(self) -> object:
        """Push buffered text to its destination."""
        ...


def is_terminal(stream: object) -> bool:
    """True when `stream` is connected to a terminal (`isatty()`); False on any doubt."""
    isatty = getattr(stream, "isatty", None)
    if not callable(isatty):
        return False
    try:
        return bool(isatty())
    except (OSError, ValueError):  # closed or detached stream
        return False


def color_wanted(stream: object) -> bool:
    """The automatic colour choice for `stream`.

    Off when `NO_COLOR` is set to a non-empty value (it wins over everything) or
    `TERM=dumb`; on when `FORCE_COLOR` is non-empty; otherwise on only for a terminal.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return os.environ.get("TERM") != "dumb" and is_terminal(stream)


def _speaks_unicode(stream: object) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        _GLYPHS.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class TtyTracer(BaseTracer):
    """Draws each finished root span (a request, server startup/shutdown) as a tree.

    The header shows the start time, method and path, status and duration, coloured
    by status (2xx green, 3xx cyan, 4xx yellow, 5xx and errors red); below it come
    child steps and events, exceptions with their traceback. `stream` defaults to
    `sys.stdout`. `color=None` decides with `color_wanted()`. `width=None` asks the
    terminal for its width on every redraw. The live footer of running requests is
    drawn only when colour is on and the stream is a terminal, so anything else
    printed to the same terminal while requests run may be partly overwritten.

    Bounded: at most `max_queue` finished spans wait for the writer and at most
    `max_buffered` children wait for their root; beyond that spans are dropped and
    counted in `dropped`. `close()` writes what is queued, erases the footer and
    waits at most `close_timeout` seconds for the writer.
    """

    def __init__(
        self,
        stream: TextSink | None = None,
        *,
        color: bool | None = None,
        width: int | None = None,
        refresh: float = 0.1,
        max_queue: int = DEFAULT_QUEUE,
        max_buffered: int = DEFAULT_QUEUE,
        close_timeout: float = 5.0,
    ) -> None:
        if stream is None:
            if sys.stdout is None:
                raise ValueError("TtyTracer needs a stream: sys.stdout is None")
            stream = sys.stdout
        if max_queue < 1 or max_buffered < 1:
            raise ValueError("TtyTracer max_queue and max_buffered must be >= 1")
        self.stream: TextSink = stream
        self.color: bool = color_wanted(stream) if color is None else color
        self.live: bool = self.color and is_terminal(stream)
        """Whether the footer of running requests (and cursor movement) is used."""
        self.width = width
        self.refresh = refresh
        self.max_queue = max_queue
        self.max_buffered = max_buffered
        self.close_timeout = close_timeout
        self.write_errors = 0
        self._theme = Theme(color=self.color, unicode=_speaks_unicode(stream))
        self._dropped = 0
        self._closed = False
        self._init_state()
        track(self)

    def _init_state(self) -> None:
        # RLock: close() from a signal handler that interrupted export() on the same
        # thread must not deadlock on the lock export() already holds.
        self._cond = threading.Condition(threading.RLock())
        self._queue: deque[Span] = deque()
        self._running: dict[str, Span] = {}
        self._thread: threading.Thread | None = None
        self._idle = False
        self._footer: list[str] = []
        self._buffer = TraceBuffer(self._theme, max_spans=self.max_buffered)
        # Held around each write so fork() never copies the stream's lock mid-write.
        self._io_lock = threading.Lock()

    @property
    def dropped(self) -> int:
        """Spans never shown: queue full, tracer closed, or evicted while waiting for a root."""
        return self._dropped + self._buffer.dropped

    # --- the event-loop side: O(1) under a lock, never I/O ---------------------------------

    def on_start(self, span: Span) -> None:
        """Remember a new root span for the live footer (only when the footer is drawn)."""
        if not self.live or span.parent_id is not None:
            return
        with self._cond:
            if self._closed:
                return
            self._running[span.span_id] = span
            self._wake()

    def export(self, span: Span) -> None:
        """Queue the ended span for the writer thread, or drop and count it if full."""
        with self._cond:
            self._running.pop(span.span_id, None)
            if self._closed or len(self._queue) >= self.max_queue:
                self._dropped += 1
                return
            self._queue.append(span)
            self._wake()

    def _wake(self) -> None:
        if self._thread is None:
            # Started lazily so a tracer built before fork() gets its thread in the child.
            self._thread = threading.Thread(target=self._run, name="stario-tty-tracer", daemon=True)
            self._thread.start()
        elif self._idle:
            # PERF: while the writer waits out a refresh interval it wakes by itself.
            self._cond.notify()

    def close(self) -> None:
        """Write everything queued, erase the footer, stop the writer, report drops."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._running.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.close_timeout)
        with self._cond:
            # The writer is stuck on a blocked stream: what it never took is lost.
            self._dropped += len(self._queue)
            self._queue.clear()
        if self.dropped:
            _warn(f"stario: tty tracer dropped {self.dropped} spans")

    # --- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        next_draw = 0.0
        while True:
            with self._cond:
                self._wait_for_work(next_draw)
                spans = list(self._queue)
                self._queue.clear()
                running = list(self._running.values())
                closing = self._closed
            self._frame(spans, running, closing)
            if closing:
                return
            if self.live:
                next_draw = time.monotonic() + self.refresh

    def _wait_for_work(self, next_draw: float) -> None:
        while not self._closed:
            delay = next_draw - time.monotonic()
            if delay > 0:
                self._cond.wait(delay)
            elif self._queue or self._running:
                return
            else:
                self._idle = True
                try:
                    self._cond.wait()
                finally:
                    self._idle = False

    def _frame(self, spans: list[Span], running: list[Span], closing: bool) -> None:
        lines: list[str] = []
        for span in spans:
            try:
                lines += self._buffer.add(span)
            except Exception:  # a rendering bug must not kill the writer thread
                self.write_errors += 1
        if closing:
            lines += self._buffer.drain()
        footer: list[str] = []
        if self.live and not closing:
            columns, rows = self._size()
            max_lines = max(2, min(10, rows // 3))
            footer = render_footer(
                running, time.time_ns(), self._theme, width=columns, max_lines=max_lines
            )
        if not lines and footer == self._footer:
            return  # PERF: an unchanged footer is not redrawn
        parts = [f"\r\x1b[{len(self._footer)}A\x1b[J"] if self._footer else []
        parts += [line + "\n" for line in lines]
        parts += [line + "\n" for line in footer]
        self._footer = footer
        self._write("".join(parts))

    def _size(self) -> tuple[int, int]:
        # Asked on every redraw, so a resized terminal gets a footer that fits.
        try:
            size = os.get_terminal_size(self.stream.fileno())  # type: ignore[attr-defined]
        except (AttributeError, OSError, ValueError):
            size = shutil.get_terminal_size()
        if size.columns <= 0 or size.lines <= 0:  # a pty nobody has sized yet
            size = shutil.get_terminal_size()
        return (self.width or size.columns, size.lines)

    def _write(self, text: str) -> None:
        if self._theme.ascii:
            # Paths and messages may still hold characters the terminal cannot show.
            encoding = getattr(self.stream, "encoding", None) or "ascii"
            text = text.encode(encoding, "replace").decode(encoding)
        with self._io_lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except Exception:  # BrokenPipeError, closed stream, ...
                self.write_errors += 1

    def _after_fork(self) -> None:
        # The parent's lock may be held by a thread that does not exist here, and the
        # parent still owns (and will write) what it had queued and its footer.
        self._init_state()
        self._dropped = 0
        self.write_errors = 0


def _warn(line: str) -> None:
    try:
        if sys.stderr is not None:
            print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
