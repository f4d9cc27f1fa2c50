"""``stario watch``: run ``stario serve`` in a child process, restart it on changes.

The supervisor never imports the app, so a syntax error only ends the child; the
supervisor reports the exit code and starts a fresh child on the next change.
Restarts send one SIGTERM, so the child drains like a production shutdown.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from types import FrameType

import watchfiles

from .options import UsageError

__all__ = ["IGNORED_DIRS", "IGNORED_FILES", "ChangeFilter", "Supervisor", "run_watch"]

IGNORED_DIRS = frozenset(
    {
        "__pycache__", ".git", ".hg", ".svn", ".venv", "venv", "node_modules",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".tox",
    }
)  # fmt: skip
"""Directory names whose contents never trigger a restart."""

_DATABASES = ("*.sqlite3", "*.sqlite", "*.db")
IGNORED_FILES = (
    *_DATABASES,
    *(db + suffix for db in _DATABASES for suffix in ("-wal", "-shm", "-journal")),
    # Editor swap/backup files change on every keystroke, not on save.
    "*.swp", "*.swx", "*~", ".#*", "4913",
)  # fmt: skip
"""File-name globs that never trigger a restart (the SQLite tracer writes in the cwd)."""

_TICK_MS = 250  # how long the watcher blocks before it lets us check for a stop


def _say(message: str) -> None:
    print(f"stario watch: {message}", file=sys.stderr, flush=True)


class ChangeFilter:
    """Says whether a changed path should restart the app (a `watchfiles` filter).

    Ignored directory names only count below a watched root in `roots`, so a
    project that itself lives under, say, ``~/venv/`` is still watched.
    """

    __slots__ = ("_globs", "_paths", "_roots")

    def __init__(self, ignore: Iterable[str] = (), roots: Iterable[str] = ()) -> None:
        ignore = list(ignore)
        self._paths = tuple(os.path.abspath(p) for p in ignore)
        self._globs = (*IGNORED_FILES, *ignore)
        self._roots = tuple(os.path.abspath(r) for r in roots)

    def __call__(self, change: object, path: str) -> bool:
        """Watchfiles calls this with each change; ``True`` keeps it."""
        return self.relevant(path)

    def relevant(self, path: str) -> bool:
        """``False`` for ignored directories, database/editor files and ``--watch-ignore``."""
        full = os.path.abspath(path)
        if any(full == p or full.startswith(p + os.sep) for p in self._paths):
            return False
        inner = self._below_root(full)
        if IGNORED_DIRS.intersection(inner.split(os.sep)):
            return False
        name = os.path.basename(full)
        return not any(fnmatch.fnmatch(name, g) or fnmatch.fnmatch(inner, g) for g in self._globs)

    def _below_root(self, full: str) -> str:
        for root in self._roots:
            if full.startswith(root + os.sep):
                return full[len(root) + 1 :]
        return full


class _Child:
    __slots__ = ("proc", "settled")

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.settled = False  # its exit was reported, or we stopped it ourselves


class Supervisor:
    """Keeps one child running `command`; restarts it when watched files change.

    `stop_timeout` is how long a child may take to exit after SIGTERM before it is
    killed. SIGINT, SIGTERM or SIGHUP stop the child gracefully; `run()` returns 0.
    """

    def __init__(
        self,
        command: Sequence[str],
        paths: Sequence[str],
        change_filter: ChangeFilter,
        stop_timeout: float,
    ) -> None:
        self.command = list(command)
        self.paths = list(paths)
        self.change_filter = change_filter
        self.stop_timeout = stop_timeout
        self._stop = threading.Event()
        self._child: _Child | None = None

    def run(self) -> int:
        """Watch and supervise until stopped; always leaves no child behind."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _STOP_SIGNALS}
        try:
            self._loop()
        finally:
            self._stop_child()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def stop(self) -> None:
        """Ask `run()` to stop the child and return (safe from any thread)."""
        self._stop.set()

    def _loop(self) -> None:
        _say(f"watching {', '.join(self.paths)} (Ctrl-C to stop)")
        for changes in watchfiles.watch(
            *self.paths,
            watch_filter=self.change_filter,
            stop_event=self._stop,
            rust_timeout=_TICK_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            # The first tick comes once the watcher exists, so no edit made after
            # the first child starts can be missed.
            if self._child is None:
                self._start_child()
                continue
            self._report_exit(self._child)
            if changes:
                _say(f"restarting (changed: {_describe(path for _, path in changes)})")
                self._stop_child()
                if not self._stop.is_set():
                    self._start_child()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        child = self._child
        if self._stop.is_set() and child is not None and child.proc.poll() is None:
            child.proc.send_signal(signal.SIGTERM)  # second signal: child skips its drain
        self._stop.set()

    def _start_child(self) -> None:
        # Python trusts a .pyc whose source has the same size and mtime second; a quick
        # one-character edit would then run the old code. Children compile afresh.
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self._child = _Child(subprocess.Popen(self.command, env=env))

    def _report_exit(self, child: _Child) -> None:
        # Checked on the watcher's tick, after pending signal handlers ran: a child
        # that ended because Ctrl-C reached it too is not reported as a crash.
        code = child.proc.poll()
        if code is None or child.settled or self._stop.is_set():
            return
        child.settled = True
        if code < 0:
            _say(f"app killed by signal {_signal_name(-code)}; waiting for changes...")
        else:
            _say(f"app exited with code {code}; waiting for changes...")

    def _stop_child(self) -> None:
        child = self._child
        if child is None or child.proc.poll() is not None:
            return
        child.settled = True
        child.proc.send_signal(signal.SIGTERM)
        try:
            child.proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            _say(f"app did not stop within {self.stop_timeout:g} s; killing it")
            child.proc.kill()
            child.proc.wait()


# Ctrl-C at a terminal reaches the child too (same process group, so breakpoint()
# in the app keeps working); our SIGTERM is then its second signal and it skips the
# drain wait, which is what Ctrl-C in development is for.
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _describe(paths: Iterable[str], limit: int = 3) -> str:
    # Editors and sed save through short-lived temp files; name what is still there.
    changed = set(paths)
    names = sorted(os.path.relpath(p) for p in {p for p in changed if os.path.exists(p)} or changed)
    shown = ", ".join(names[:limit])
    return shown + (f", +{len(names) - limit} more" if len(names) > limit else "")


def run_watch(
    command: Sequence[str], paths: Sequence[str], ignore: Sequence[str], stop_timeout: float
) -> int:
    """Supervise `command` watching `paths` (default: the current directory).

    Raises `UsageError` when a watched path does not exist.
    """
    for path in paths:
        if not os.path.exists(path):
            raise UsageError(f"--watch {path}: no such file or directory")
    watched = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    return Supervisor(command, watched, ChangeFilter(ignore, watched), stop_timeout).run()
