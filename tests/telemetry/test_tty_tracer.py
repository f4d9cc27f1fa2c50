from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.telemetry import Span, SpanEvent, TtyTracer
from stario.telemetry.tty import color_wanted, is_terminal
from stario.telemetry.tty_render import (
    Theme,
    TraceBuffer,
    fit,
    format_duration,
    render_footer,
    render_tree,
)

WAIT = 10.0  # generous upper bound for thread hand-offs; never reached when passing
ESC = "\x1b"
CLOCK = re.compile(r"^\d\d:\d\d:\d\d\.\d{3}  ")
MS = 1_000_000


class Screen:
    """A text stream that records writes; `tty` decides what `isatty()` answers."""

    def __init__(self, *, tty: bool = False, encoding: str = "utf-8") -> None:
        self.tty = tty
        self.encoding = encoding
        self.chunks: list[str] = []
        self.threads: set[int] = set()
        self.changed = threading.Condition()
        self.block: threading.Event | None = None
        self.entered = threading.Event()

    def write(self, text: str) -> int:
        text.encode(self.encoding)  # like a real stream: unencodable text raises
        self.threads.add(threading.get_ident())
        self.entered.set()
        if self.block is not None:
            assert self.block.wait(WAIT)
        with self.changed:
            self.chunks.append(text)
            self.changed.notify_all()
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.tty

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def wait_for(self, predicate: Callable[[str], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self.text), WAIT)


class BrokenScreen(Screen):
    def write(self, text: str) -> int:
        raise BrokenPipeError("reader went away")


@pytest.fixture(autouse=True)
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def request(tracer: TtyTracer, path: str, status: int | None = None, **attrs: Any) -> Span:
    span = tracer.start("GET", attributes={"request.method": "GET", "request.path": path})
    if status is not None:
        span.attr("response.status_code", status)
    span.attrs(attrs)
    return span


def boom() -> None:
    raise ValueError("kaboom")


def failing_request(tracer: TtyTracer) -> None:
    span = request(tracer, "/boom")
    try:
        boom()
    except ValueError as exc:
        span.exception(exc)
        span.fail(f"ValueError: {exc}")
    span.attr("response.status_code", 500)
    span.end()


def rendered(**kw: Any) -> tuple[TtyTracer, Screen]:
    screen = Screen(tty=kw.pop("tty", False), encoding=kw.pop("encoding", "utf-8"))
    return TtyTracer(screen, **kw), screen


def without_clock(text: str) -> list[str]:
    return [CLOCK.sub("", line) for line in text.splitlines()]


# --- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0 ns"),
        (-5, "0 ns"),
        (999, "999 ns"),
        (1_053, "1.1 µs"),
        (99_960, "100 µs"),
        (850_000, "850 µs"),
        (999_600, "1.0 ms"),
        (3_100_000, "3.1 ms"),
        (99_960_000, "100 ms"),
        (312_400_000, "312 ms"),
        (999_700_000, "1.00 s"),
        (1_240_000_000, "1.24 s"),
        (12_340_000_000, "12.3 s"),
        (123_000_000_000, "2 m 03 s"),
        (3_720_000_000_000, "1 h 02 m"),
    ],
)
def test_durations_read_like_a_human_wrote_them(ns: int, text: str) -> None:
    assert format_duration(ns) == text


def test_ascii_durations_spell_micro_as_u() -> None:
    assert format_duration(850_000, ascii=True) == "850 us"


_UNITS = {"ns": 1, "µs": 1e3, "ms": 1e6, "s": 1e9}


def parse_duration(text: str) -> float:
    if m := re.fullmatch(r"(\d+) h (\d\d) m", text):
        return (int(m[1]) * 3600 + int(m[2]) * 60) * 1e9
    if m := re.fullmatch(r"(\d+) m (\d\d) s", text):
        return (int(m[1]) * 60 + int(m[2])) * 1e9
    m = re.fullmatch(r"(\d+(?:\.\d+)?) (ns|µs|ms|s)", text)
    assert m, text
    return float(m[1]) * _UNITS[m[2]]


@given(st.integers(min_value=0, max_value=10**14), st.integers(min_value=0, max_value=10**14))
def test_durations_are_close_and_ordered(a: int, b: int) -> None:
    low, high = sorted((a, b))
    shown_low, shown_high = (
        parse_duration(format_duration(low)),
        parse_duration(format_duration(high)),
    )
    assert abs(shown_low - low) <= max(0.05 * low, 0.5)
    assert shown_low <= shown_high


# --- trees ---------------------------------------------------------------------------------


def test_children_and_events_form_a_tree_under_the_request_header() -> None:
    tracer, screen = rendered(color=False)
    with request(tracer, "/users/42", 200, **{"cart.items": 3}) as root:
        with root.step("db.query", {"db.table": "users"}) as query:
            query.event("cache miss", {"key": "users:42"})
            with query.step("decode"):
                pass
        root.event("validated")
        with root.step("render"):
            pass
    tracer.close()
    lines = without_clock(screen.text)
    assert [re.sub(r"\d+(\.\d+)? (ns|µs|ms|s)", "D", line) for line in lines] == [
        "GET /users/42  200  D  cart.items=3",
        "  ├─ db.query  D  db.table=users",
        "  │  ├─ • cache miss  key=users:42",
        "  │  └─ decode  D",
        "  ├─ • validated",
        "  └─ render  D",
    ]
    assert CLOCK.match(screen.text)


def test_exception_is_shown_with_its_traceback() -> None:
    tracer, screen = rendered(color=False)
    failing_request(tracer)
    tracer.close()
    lines = without_clock(screen.text)
    assert lines[0].startswith("GET /boom  500  ")
    assert lines[1] == "  └─ • exception  ValueError: kaboom"
    assert lines[2] == "       Traceback (most recent call last):"
    assert any(", in boom" in line for line in lines)
    assert lines[-1] == "       ValueError: kaboom"


def test_failure_without_exception_shows_its_message() -> None:
    tracer, screen = rendered(color=False)
    with tracer.start("job") as span, span.step("charge") as step:
        step.fail("card declined")
        span.fail("payment failed")
    tracer.close()
    lines = without_clock(screen.text)
    assert lines[0].startswith("job  error  ")
    assert lines[1] == "  ✗ payment failed"
    assert lines[2].startswith("  └─ charge  ")
    assert lines[2].endswith("  ✗ card declined")


@pytest.mark.parametrize(
    ("status", "code"), [(200, "32"), (204, "32"), (301, "36"), (404, "33"), (503, "31")]
)
def test_status_code_is_coloured_by_class(status: int, code: str) -> None:
    tracer, screen = rendered(color=True)
    request(tracer, "/x", status).end()
    tracer.close()
    assert f"{ESC}[{code}m{status}{ESC}[0m" in screen.text


def test_a_failed_span_is_red_whatever_its_status_code() -> None:
    tracer, screen = rendered(color=True)
    span = request(tracer, "/stream", 200)
    span.fail("stream broke")
    span.end()
    tracer.close()
    assert f"{ESC}[31m200{ESC}[0m" in screen.text


def test_no_color_env_means_no_escape_codes_even_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")  # NO_COLOR wins
    tracer, screen = rendered(tty=True, refresh=0.001)
    assert not tracer.color
    assert not tracer.live
    running = request(tracer, "/slow")
    failing_request(tracer)
    running.end()
    tracer.close()
    assert "ValueError: kaboom" in screen.text
    assert ESC not in screen.text


def test_colour_defaults() -> None:
    assert color_wanted(Screen(tty=True))
    assert not color_wanted(Screen(tty=False))


def test_empty_no_color_is_ignored_and_force_color_forces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert color_wanted(Screen(tty=False))


def test_dumb_terminal_gets_no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert not color_wanted(Screen(tty=True))


def test_forced_colour_on_a_pipe_never_moves_the_cursor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    tracer, screen = rendered(tty=False, refresh=0.001)
    assert tracer.color
    assert not tracer.live
    running = request(tracer, "/slow")
    request(tracer, "/ok", 200).end()
    running.end()
    tracer.close()
    assert f"{ESC}[32m200" in screen.text
    assert not re.search(r"\x1b\[\d*[ABJK]", screen.text)


def test_terminal_control_characters_from_clients_are_escaped() -> None:
    tracer, screen = rendered(color=True)
    request(tracer, "/\x1b[2J\u202eevil", 200, note="a\x07b\nc").end()
    tracer.close()
    assert "/\\x1b[2J\\u202eevil" in screen.text
    assert 'note="a\\u0007b\\nc"' in screen.text  # JSON-quoted, escapes visible
    assert "\x1b[2J" not in screen.text
    assert "\x07" not in screen.text
    assert "\u202e" not in screen.text


def test_ascii_terminal_gets_ascii_glyphs_and_no_write_errors() -> None:
    tracer, screen = rendered(color=False, encoding="ascii")
    with request(tracer, "/caf\u00e9", 200) as root, root.step("step"):
        pass
    tracer.close()
    assert tracer.write_errors == 0
    assert "`- step" in screen.text
    assert "GET /caf?" in screen.text


def test_a_deep_chain_of_steps_is_cut_not_crashed() -> None:
    tracer, screen = rendered(color=False)
    spans = [tracer.start("root")]
    for i in range(200):
        spans.append(spans[-1].step(f"level{i}"))
    for span in reversed(spans):
        span.end()
    tracer.close()
    assert "deeper spans not shown" in screen.text
    assert "level199" not in screen.text
    assert tracer.write_errors == 0


# --- buffering, ordering and bounds ----------------------------------------------------------


def test_a_step_ending_after_its_root_is_shown_with_the_root_as_context() -> None:
    tracer, screen = rendered(color=False)
    root = request(tracer, "/kick", 202)
    background = root.step("send email")
    root.end()
    inner = background.step("smtp")
    inner.end()
    background.end()
    tracer.close()
    lines = without_clock(screen.text)
    assert lines[0].startswith("GET /kick  202  ")
    assert lines[1].startswith("GET /kick ↳ send email  ok  ")
    assert lines[2].startswith("  └─ smtp  ")
    assert len(lines) == 3


def test_children_whose_root_never_ends_are_shown_at_close() -> None:
    tracer, screen = rendered(color=False)
    root = tracer.start("import")
    root.step("batch 1").end()
    tracer.close()
    assert without_clock(screen.text)[0].startswith("(root never ended) ↳ batch 1  ok")


def test_trace_buffer_drops_the_oldest_trace_when_full() -> None:
    theme = Theme(color=False)
    buffer = TraceBuffer(theme, max_spans=2)
    roots = [Span(None, f"root{i}") for i in range(3)]
    for root in roots:
        child = root.step("child")
        child.end()
        assert buffer.add(child) == []
    assert buffer.dropped == 1
    roots[0].end()
    assert len(buffer.add(roots[0])) == 1  # just the header: its child was dropped
    roots[2].end()
    assert len(buffer.add(roots[2])) == 2


def test_buffered_children_beyond_the_cap_are_counted_as_dropped() -> None:
    tracer, screen = rendered(color=False, max_buffered=1)
    first = tracer.start("first")
    second = tracer.start("second")
    first.step("a").end()
    second.step("b").end()
    first.end()
    second.end()
    tracer.close()
    assert tracer.dropped == 1
    assert "└─ b" in screen.text
    assert "└─ a" not in screen.text


def test_full_queue_drops_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    tracer, screen = rendered(color=False, max_queue=1)
    screen.block = threading.Event()
    try:
        tracer.start("first").end()
        assert screen.entered.wait(WAIT)  # the writer holds "first" and is stuck writing
        tracer.start("second").end()  # queued
        tracer.start("third").end()  # queue full
    finally:
        screen.block.set()
    tracer.close()
    assert tracer.dropped == 1
    assert "first" in screen.text
    assert "second" in screen.text
    assert "third" not in screen.text
    assert "dropped 1 spans" in capsys.readouterr().err


def test_spans_after_close_are_dropped_and_close_is_idempotent() -> None:
    tracer, screen = rendered(color=False)
    tracer.close()
    tracer.start("late").end()
    tracer.close()
    assert tracer.dropped == 1
    assert screen.text == ""


def test_writes_happen_on_a_background_thread() -> None:
    tracer, screen = rendered(color=False)
    tracer.start("x").end()
    tracer.close()
    assert screen.threads
    assert threading.get_ident() not in screen.threads


def test_write_errors_are_counted_not_raised() -> None:
    screen = BrokenScreen()
    tracer = TtyTracer(screen, color=False)
    tracer.start("x").end()
    tracer.close()
    assert tracer.write_errors == 1


# --- the live footer -------------------------------------------------------------------------


def test_live_footer_lists_running_requests_and_is_erased() -> None:
    tracer, screen = rendered(tty=True, color=True, width=40, refresh=0.001)
    assert tracer.live
    slow = request(tracer, "/slow/" + "x" * 80)
    assert screen.wait_for(lambda text: "in flight" in text and "GET /slow/" in text)
    request(tracer, "/quick", 200).end()
    assert screen.wait_for(lambda text: "/quick" in text)
    slow.attr("response.status_code", 200)
    slow.end()
    tracer.close()
    text = screen.text
    # Every redraw first erases the previous footer: carriage return, up N, clear below.
    assert re.search(r"\r\x1b\[\d+A\x1b\[J", text)
    last_clear = text.rindex(f"{ESC}[J")
    assert "in flight" in text[:last_clear]
    assert "in flight" not in text[last_clear:]
    visible = re.sub(r"\r|\x1b\[[\d;]*[mAJ]", "", text).split("\n")
    footer = [line for line in visible if line.startswith("  GET /slow/")]
    assert footer
    assert all(len(line) <= 39 and re.search(r"…  \S+ \S+$", line) for line in footer)
    # The finished tree itself is never cut.
    assert any(CLOCK.match(line) and "x" * 80 in line for line in visible)


def test_footer_shows_only_requests_and_cuts_to_width() -> None:
    theme = Theme(color=False)
    now = 10_000 * MS
    startup = Span(None, "server.startup", start_ns=now)
    spans = [
        Span(
            None,
            "GET",
            attributes={"request.method": "GET", "request.path": f"/{i}"},
            start_ns=now - i * MS,
        )
        for i in range(5)
    ]
    lines = render_footer([startup, *spans], now, theme, width=20, max_lines=4)
    assert lines[0] == "── 5 in flight ──"
    assert lines[1:4] == ["  GET /4  4.0 ms", "  GET /3  3.0 ms", "  GET /2  2.0 ms"]
    assert lines[-1] == "  … 2 more"
    assert render_footer([startup], now, theme, width=20) == []


def test_fit_counts_wide_characters_as_two_cells() -> None:
    assert fit("漢字漢字漢字", 7) == "漢字漢…"
    assert fit("short", 7) == "short"
    assert fit("abcdefghij", 7) == "abcdef…"


# --- is_terminal ------------------------------------------------------------------------------


class _Closed:
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


def test_is_terminal_says_no_on_any_doubt() -> None:
    assert not is_terminal(object())
    assert not is_terminal(_Closed())
    assert is_terminal(Screen(tty=True))


def test_render_tree_puts_events_and_children_in_time_order() -> None:
    root = Span(None, "root", start_ns=0)
    late = root.step("late")
    early = root.step("early")
    late.start_ns, early.start_ns = 30, 10
    root.events.append(SpanEvent(20, "mid"))
    lines = render_tree(root, [late, early], Theme(color=False))
    assert [line.split()[1] for line in lines[1:]] == ["early", "•", "late"]
