"""Turning finished spans into terminal text: span trees, durations, the live footer.

Pure functions and one buffer class, no I/O: `TtyTracer` (in `tty.py`) feeds them
from its writer thread. Everything a client or handler controls (paths, attribute
values, exception messages) passes through `clean()` before it reaches the terminal.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from .span import AttrValue, Span, SpanEvent

__all__ = [
    "Theme",
    "TraceBuffer",
    "clean",
    "fit",
    "format_duration",
    "render_footer",
    "render_tree",
]

GREEN, CYAN, YELLOW, RED = "32", "36", "33", "31"
BOLD, DIM, DIM_RED = "1", "2", "2;31"

MAX_VALUE_CHARS = 200
MAX_BODY_LINES = 200
MAX_DEPTH = 32
MAX_REMEMBERED_IDS = 1024  # per finished trace, so late steps can find their parent
# Attributes the header already shows (or that only add noise on a terminal).
_HIDDEN = frozenset(
    ("request.method", "request.path", "response.status_code", "http.version", "client.address")
)
_UNICODE = ("├─ ", "└─ ", "│  ", "•", "✗", "↳")
_ASCII = ("|- ", "`- ", "|  ", "*", "x", "->")


class Theme:
    """Colour on/off and the glyphs to draw with (ASCII for terminals that lack Unicode)."""

    __slots__ = ("arrow", "ascii", "bullet", "color", "cross", "last", "pipe", "space", "tee")

    def __init__(self, *, color: bool, unicode: bool = True) -> None:
        self.color = color
        self.ascii = not unicode
        glyphs = _UNICODE if unicode else _ASCII
        self.tee, self.last, self.pipe, self.bullet, self.cross, self.arrow = glyphs
        self.space = "   "

    def paint(self, text: str, style: str) -> str:
        """`text` wrapped in the SGR `style` codes, or unchanged when colour is off."""
        return f"\x1b[{style}m{text}\x1b[0m" if self.color and text else text


def format_duration(ns: int, *, ascii: bool = False) -> str:
    """A short human duration: `42 ns`, `850 µs`, `3.1 ms`, `312 ms`, `1.24 s`, `2 m 03 s`."""
    ns = max(0, ns)  # a wall clock stepped backwards must not print "-3 ms"
    if ns < 1_000:
        return f"{ns} ns"
    # Each unit is chosen on the *rounded* value so 999.96 ms reads "1.00 s", not "1000 ms".
    micro = "u" if ascii else "µ"
    us = ns / 1e3
    if round(us, 1) < 100:
        return f"{us:.1f} {micro}s"
    if round(us) < 1_000:
        return f"{round(us)} {micro}s"
    ms = ns / 1e6
    if round(ms, 1) < 100:
        return f"{ms:.1f} ms"
    if round(ms) < 1_000:
        return f"{round(ms)} ms"
    s = ns / 1e9
    if round(s, 2) < 10:
        return f"{s:.2f} s"
    if round(s, 1) < 60:
        return f"{s:.1f} s"
    total = round(s)
    if total < 3600:
        return f"{total // 60} m {total % 60:02d} s"
    return f"{total // 3600} h {total % 3600 // 60:02d} m"


def _escape_table() -> dict[int, str]:
    # SECURITY: a request path or attribute value could carry ESC sequences that
    # rewrite the operator's terminal, or bidi overrides that disguise text. Show
    # them as escapes instead of sending them raw.
    table = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
    table.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
    table[0x09] = " "
    return table


_ESCAPES = _escape_table()


def clean(text: str) -> str:
    """`text` with control and bidi-override characters shown as escapes."""
    return text.translate(_ESCAPES)


def _cells(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def fit(text: str, width: int, ellipsis: str = "…") -> str:
    """Cut cleaned `text` to at most `width` terminal cells (wide characters count 2)."""
    used = 0
    for i, ch in enumerate(text):
        used += _cells(ch)
        if used > width:
            keep, cells = i, used - _cells(ch)
            while keep and cells + len(ellipsis) > width:
                keep -= 1
                cells -= _cells(text[keep])
            return text[:keep] + ellipsis
    return text


def _value(value: AttrValue) -> str:
    if isinstance(value, str):
        needs_quotes = not value or any(ch.isspace() or ch in "\"='" for ch in value)
        text = json.dumps(value, ensure_ascii=False) if needs_quotes else value
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(_value(v) for v in value) + "]"
    else:
        text = str(value)
    text = clean(text)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _attrs(attrs: dict[str, AttrValue], theme: Theme, *, skip_hidden: bool = False) -> str:
    shown = [
        f"{clean(k)}={_value(v)}"
        for k, v in attrs.items()
        if not (skip_hidden and (k in _HIDDEN or k.startswith("config.")))
    ]
    return theme.paint("  " + " ".join(shown), DIM) if shown else ""


def _status_style(span: Span) -> str:
    code = span.attributes.get("response.status_code")
    if span.status == "error" or (isinstance(code, int) and code >= 500):
        return RED
    if isinstance(code, int) and not isinstance(code, bool):
        return YELLOW if code >= 400 else CYAN if code >= 300 else GREEN
    return GREEN


def _clock(ns: int) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{rest // 1_000_000:03d}"


def _label(span: Span) -> str:
    method = span.attributes.get("request.method")
    if isinstance(method, str):
        path = span.attributes.get("request.path")
        return clean(f"{method} {path}" if isinstance(path, str) else method)
    return clean(span.name)


def _has_exception(span: Span) -> bool:
    return any(event.name == "exception" for event in span.events)


def _header(span: Span, theme: Theme, context: str | None) -> str:
    style = _status_style(span)
    code = span.attributes.get("response.status_code")
    status = str(code) if isinstance(code, int) else span.status
    label = _label(span)
    if context is not None:
        label = f"{context} {theme.arrow} {label}"
    parts = [
        theme.paint(_clock(span.start_ns), DIM),
        theme.paint(label, RED if style == RED else BOLD),
        theme.paint(status, style),
        format_duration(span.duration_ns or 0, ascii=theme.ascii),
    ]
    return "  ".join(parts) + _attrs(span.attributes, theme, skip_hidden=True)


def _span_line(span: Span, theme: Theme) -> str:
    failed = span.status == "error"
    text = theme.paint(clean(span.name), RED if failed else BOLD)
    text += "  " + format_duration(span.duration_ns or 0, ascii=theme.ascii)
    if failed and span.error and not _has_exception(span):
        text += "  " + theme.paint(f"{theme.cross} {clean(span.error)}", RED)
    return text + _attrs(span.attributes, theme)


def _event_lines(event: SpanEvent, lead: str, cont: str, theme: Theme) -> list[str]:
    if event.name == "exception":
        kind = event.attributes.get("exception.type", "")
        message = event.attributes.get("exception.message", "")
        summary = clean(f"{kind}: {message}" if message else str(kind))
        lines = [lead + theme.paint(f"{theme.bullet} exception  {summary}", RED)]
    else:
        lines = [lead + f"{theme.bullet} {clean(event.name)}" + _attrs(event.attributes, theme)]
    if event.body:
        body = event.body.rstrip("\n").split("\n")
        extra = len(body) - MAX_BODY_LINES
        if extra > 0:  # keep the end: the exception line and the innermost frames
            body = [f"… {extra} more lines", *body[-MAX_BODY_LINES:]]
        for i, raw in enumerate(body):
            last = i == len(body) - 1 and event.name == "exception"
            lines.append(cont + "  " + theme.paint(clean(raw), RED if last else DIM_RED))
    return lines


def _nodes(span: Span, kids: dict[str, list[Span]]) -> list[Span | SpanEvent]:
    items: list[Span | SpanEvent] = [*kids.get(span.span_id, ()), *span.events]
    items.sort(key=lambda item: item.time_ns if isinstance(item, SpanEvent) else item.start_ns)
    return items


def render_tree(
    top: Span, descendants: Iterable[Span], theme: Theme, *, context: str | None = None
) -> list[str]:
    """The lines for `top` and its descendants: a header, then a box-drawn tree.

    Children and events appear in time order; an exception event carries its
    traceback. `context` (for a span that ended after its root) prefixes the label.
    """
    kids: dict[str, list[Span]] = {}
    for span in descendants:
        if span.parent_id is not None:
            kids.setdefault(span.parent_id, []).append(span)
    lines = [_header(top, theme, context)]
    if top.status == "error" and top.error and not _has_exception(top):
        lines.append("  " + theme.paint(f"{theme.cross} {clean(top.error)}", RED))
    # Iterative, so a very deep chain of steps cannot hit the recursion limit.
    stack: list[tuple[list[Span | SpanEvent], int, str]] = [(_nodes(top, kids), 0, "  ")]
    while stack:
        items, i, prefix = stack.pop()
        if i >= len(items):
            continue
        stack.append((items, i + 1, prefix))
        last = i == len(items) - 1
        lead = prefix + (theme.last if last else theme.tee)
        cont = prefix + (theme.space if last else theme.pipe)
        item = items[i]
        if isinstance(item, SpanEvent):
            lines.extend(_event_lines(item, lead, cont, theme))
            continue
        lines.append(lead + _span_line(item, theme))
        if len(stack) > MAX_DEPTH:
            lines.append(cont + theme.paint("… deeper spans not shown", DIM))
        else:
            stack.append((_nodes(item, kids), 0, cont))
    return lines


def render_footer(
    running: Sequence[Span], now_ns: int, theme: Theme, *, width: int, max_lines: int = 10
) -> list[str]:
    """The live footer: one line per in-flight request, each cut to fit `width` cells.

    Only spans that already carry `request.method` are shown; no lines when none do.
    """
    requests = [s for s in running if isinstance(s.attributes.get("request.method"), str)]
    if not requests:
        return []
    requests.sort(key=lambda s: s.start_ns)
    # Never let a line reach the last column: an auto-wrapped line would break the
    # cursor-up arithmetic used to erase the footer.
    room = max(width - 1, 10)
    shown = requests[: max(max_lines - 1, 1)]
    lines = [theme.paint(fit(f"── {len(requests)} in flight ──", room), DIM)]
    if theme.ascii:
        lines[0] = theme.paint(fit(f"-- {len(requests)} in flight --", room), DIM)
    for span in shown:
        elapsed = format_duration(now_ns - span.start_ns, ascii=theme.ascii)
        # Cut the label, not the elapsed time: that is what the footer is for.
        label = fit(_label(span), max(room - len(elapsed) - 4, 1))
        text = fit(f"  {label}  {elapsed}", room)
        lines.append(theme.paint(text, YELLOW if now_ns - span.start_ns >= 1e9 else DIM))
    if len(requests) > len(shown):
        lines.append(theme.paint(fit(f"  … {len(requests) - len(shown)} more", room), DIM))
    return lines


class TraceBuffer:
    """Holds ended child spans until their root ends, then renders the whole tree.

    A span that ends after its root (a background step) is rendered on its own, as
    soon as it ends, with the root's label as context. At most `max_spans` children
    wait at once; beyond that the oldest trace is dropped and counted in `dropped`.
    """

    __slots__ = ("_pending", "_shown", "dropped", "max_finished", "max_spans", "size", "theme")

    def __init__(self, theme: Theme, *, max_spans: int = 10_000, max_finished: int = 1024) -> None:
        self.theme = theme
        self.max_spans = max_spans
        self.max_finished = max_finished
        self.dropped = 0
        self.size = 0
        self._pending: OrderedDict[str, list[Span]] = OrderedDict()
        # trace id -> (root label, ids already printed): lets late spans find their place.
        self._shown: OrderedDict[str, tuple[str, set[str]]] = OrderedDict()

    def add(self, span: Span) -> list[str]:
        """Take one ended span; return the lines of any tree it completes."""
        if span.parent_id is None:
            return self._complete(span, None)
        shown = self._shown.get(span.trace_id)
        if shown is not None and span.parent_id in shown[1]:
            return self._complete(span, shown[0])
        self._pending.setdefault(span.trace_id, []).append(span)
        self.size += 1
        while self.size > self.max_spans:
            _, evicted = self._pending.popitem(last=False)
            self.size -= len(evicted)
            self.dropped += len(evicted)
        return []

    def drain(self) -> list[str]:
        """Render everything still waiting (its root never ended) and forget it."""
        lines: list[str] = []
        while self._pending:
            _, spans = self._pending.popitem(last=False)
            self.size -= len(spans)
            ids = {s.span_id for s in spans}
            for top in (s for s in spans if s.parent_id not in ids):
                lines += render_tree(top, spans, self.theme, context="(root never ended)")
        return lines

    def _complete(self, top: Span, context: str | None) -> list[str]:
        spans = self._pending.pop(top.trace_id, [])
        self.size -= len(spans)
        tree, rest = _split(top, spans)
        if rest:  # their parent is still running (or was dropped): keep waiting
            self._pending[top.trace_id] = rest
            self.size += len(rest)
        label, ids = self._shown.pop(top.trace_id, (_label(top), set()))
        ids.add(top.span_id)
        if len(ids) + len(tree) <= MAX_REMEMBERED_IDS:
            # Beyond this a late step of a huge trace is shown at close, unattached.
            ids.update(s.span_id for s in tree)
        self._shown[top.trace_id] = (label, ids)
        if len(self._shown) > self.max_finished:
            self._shown.popitem(last=False)
        return render_tree(top, tree, self.theme, context=context)


def _split(top: Span, spans: list[Span]) -> tuple[list[Span], list[Span]]:
    """Partition `spans` into descendants of `top` and the rest."""
    by_parent: dict[str, list[Span]] = {}
    for span in spans:
        by_parent.setdefault(span.parent_id or "", []).append(span)
    tree: list[Span] = []
    todo = [top.span_id]
    while todo:
        for child in by_parent.pop(todo.pop(), ()):
            tree.append(child)
            todo.append(child.span_id)
    rest = [s for group in by_parent.values() for s in group]
    return tree, rest
