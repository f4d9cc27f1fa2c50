"""How much each codec compresses in about 1 ms: the limit for compressing on the loop.

``python benchmarks/compression_threshold.py [--budget-ms 1.0] [--runs 9] [--codecs zstd,br,gzip]
[--levels 3,4,6]`` times
one-shot compression of generated HTML and JSON bodies for every level of zstd, brotli
and gzip, finds the largest body (in KiB steps) each compresses within the budget (the
slower of the two kinds of body, median of ``--runs``), and prints it next to the limit
stario ships in ``stario/compression.py``. A body larger than that limit is compressed
in a worker thread so it never stalls the event loop for longer than the budget.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import zlib
from collections.abc import Callable

import brotli
import zstandard

from stario.compression import Codec

Compress = Callable[[bytes], bytes]


_WORDS = ["".join(chr(97 + (i * 7 + j * 13) % 26) for j in range(3 + i % 7)) for i in range(2000)]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def html_body(size: int) -> bytes:
    """A product table of ``size`` bytes with varied text, the kind of page a handler renders."""
    rng = random.Random(size)
    rows = []
    total = n = 0
    while total < size:
        row = (
            f'<tr class="row"><td><a href="/p/{n}">{_text(rng, 3)}</a></td>'
            f"<td>{rng.randint(1, 999)}.{rng.randint(0, 99):02d} EUR</td>"
            f"<td>{_text(rng, 8)}</td></tr>\n"
        )
        rows.append(row)
        total += len(row)
        n += 1
    return ("<table>\n" + "".join(rows)).encode()[:size]


def json_body(size: int) -> bytes:
    """A JSON list of records of ``size`` bytes with varied values."""
    rng = random.Random(size)
    items = []
    total = n = 0
    while total < size:
        record = {"id": n, "name": _text(rng, 2), "score": rng.random(), "tags": _text(rng, 4)}
        item = json.dumps(record, separators=(",", ":"))
        items.append(item)
        total += len(item) + 1
        n += 1
    return ("[" + ",".join(items)).encode()[:size]


def compressor(coding: str, level: int) -> Compress:
    """One-shot compression as stario's codec does it (same options)."""
    if coding == "zstd":
        return zstandard.ZstdCompressor(level=level).compress
    if coding == "br":
        return lambda data: brotli.compress(data, quality=level)
    return lambda data: zlib.compress(data, level)


def seconds(compress: Compress, data: bytes, runs: int) -> float:
    """Median time of ``runs`` compressions of ``data``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        compress(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def limit_kib(compress: Compress, budget: float, runs: int, cap_kib: int = 1024) -> int:
    """The largest size in KiB that both bodies compress within ``budget`` seconds."""
    low, high = 0, cap_kib
    while low < high:  # binary search on whole KiB
        mid = (low + high + 1) // 2
        size = mid * 1024
        worst = max(seconds(compress, body(size), runs) for body in (html_body, json_body))
        if worst <= budget:
            low = mid
        else:
            high = mid - 1
    return low


LEVELS = {"zstd": range(1, 20), "br": range(0, 12), "gzip": range(1, 10)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-ms", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--codecs", default="zstd,br,gzip")
    parser.add_argument(
        "--levels", default="", help="comma-separated levels to measure (default: all)"
    )
    args = parser.parse_args()
    chosen = {int(level) for level in args.levels.split(",") if level}
    budget = args.budget_ms / 1000
    print(
        f"Python {sys.version.split()[0]}, brotli {brotli.__version__}, "
        f"zstandard {zstandard.__version__}, zlib {zlib.ZLIB_RUNTIME_VERSION}; "
        f"budget {args.budget_ms} ms, median of {args.runs}\n"
    )
    print("| codec | level | measured KiB | shipped KiB |")
    print("|---|---:|---:|---:|")
    for coding in args.codecs.split(","):
        for level in LEVELS[coding]:
            if chosen and level not in chosen:
                continue
            measured = limit_kib(compressor(coding, level), budget, args.runs)
            shipped = Codec(coding, level).inline_limit // 1024
            print(f"| {coding} | {level} | {measured} | {shipped} |", flush=True)


if __name__ == "__main__":
    main()
