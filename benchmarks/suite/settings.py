"""The knobs of one suite run, with the full and ``--quick`` defaults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Say = Callable[[str], None]
"""Where progress lines go (the runner prints them)."""

PARTS = ("http", "sse", "idle", "startup", "telemetry", "html")


@dataclass(slots=True)
class Settings:
    """Everything that shapes the numbers; printed into RESULTS.md."""

    parts: tuple[str, ...] = PARTS
    targets: tuple[str, ...] = ()
    """Server names to run (empty: all)."""
    duration: float = 5.0
    """Seconds of measured wrk load per route and round."""
    warmup: float = 2.0
    """Seconds of wrk load per route before each measured run."""
    rounds: int = 2
    """Rounds over all servers and routes; the best clean round per route is kept."""
    connections: int = 128
    sse_clients: tuple[int, ...] = (1_000, 10_000)
    sse_events: int = 20
    """Events published at a fixed interval (latency phase)."""
    sse_burst: int = 50
    """Events published back to back (throughput phase)."""
    idle_counts: tuple[int, ...] = (1_000, 10_000)
    startup_runs: int = 7
    telemetry_seconds: int = 4
    html_repeat: int = 5
    quick: bool = False
    notes: list[str] = field(default_factory=list)

    @classmethod
    def quick_mode(cls) -> Settings:
        """Short runs for a smoke test: the numbers are indicative only."""
        return cls(
            duration=2.0,
            warmup=1.0,
            rounds=1,
            sse_clients=(1_000,),
            sse_events=10,
            sse_burst=20,
            idle_counts=(1_000,),
            startup_runs=3,
            telemetry_seconds=2,
            html_repeat=2,
            quick=True,
        )

    def sse_interval_ms(self, clients: int) -> int:
        """Gap between paced events: room for one fan-out at up to 100 µs per client.

        Events that overlap would measure queueing behind the previous event, not the
        delay of one fan-out.
        """
        return max(100, clients * 100 // 1000)
