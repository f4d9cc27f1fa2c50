"""What every benchmark server shares: the JSON encoder, the validation rule, the publisher.

Each server module imports this file (the apps directory is its working directory), so
every framework encodes the same JSON the same way (stdlib ``json``, compact
separators) and accepts or rejects the same ``POST /validate`` bodies. Only the
standard library is used here: the module runs in every peer's virtual environment.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

PLAINTEXT = b"Hello, World!"
TEXT_TYPE = "text/plain"
JSON_TYPE = "application/json"
SSE_SUBJECT = "bench.events"
KEEP_ALIVE_SECONDS = 120
"""Idle keep-alive timeout given to every server that has one, so idle-connection
measurements do not race the servers' defaults (often 5 s)."""


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, the one encoder all servers use."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


HELLO_JSON = {"message": "Hello, World!"}


def user(user_id: str) -> bytes:
    """The body of ``GET /user/{id}``."""
    return dumps({"id": user_id, "name": f"User {user_id}"})


def validate(body: bytes) -> tuple[int, bytes]:
    """Check a ``POST /validate`` body by hand: ``(status, JSON body)``.

    A valid body is a JSON object with a non-empty string ``name`` (at most 100
    characters) and an integer ``age`` from 0 to 150; the answer echoes both. Anything
    else is a 400 naming the first problem.
    """
    try:
        data = json.loads(body)
    except ValueError:
        return 400, dumps({"error": "body is not JSON"})
    if not isinstance(data, dict):
        return 400, dumps({"error": "body must be a JSON object"})
    name = data.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        return 400, dumps({"error": "name must be a string of 1 to 100 characters"})
    age = data.get("age")
    if type(age) is not int or not 0 <= age <= 150:
        return 400, dumps({"error": "age must be an integer from 0 to 150"})
    return 200, dumps({"name": name, "age": age})


def sse_frame(payload: bytes) -> bytes:
    """One server-sent event carrying ``payload`` on a single ``data:`` line."""
    return b"data: " + payload + b"\n\n"


def publish_args(query: Callable[[str], str | None]) -> tuple[int, float, int]:
    """``count``, ``interval`` (seconds) and ``first`` sequence number of ``POST /publish``."""
    count = int(query("count") or "1")
    interval = int(query("interval_ms") or "0") / 1000
    first = int(query("first") or "0")
    return count, interval, first


async def run_publisher(
    publish: Callable[[bytes], object], count: int, interval: float, first: int
) -> None:
    """Publish ``count`` events ``interval`` seconds apart (0: yield to the loop between).

    Each payload is ``b"<seq> <publish time>"`` with the time from the system-wide
    monotonic clock in nanoseconds, which the load generator reads on the same machine
    to compute the delay from publish to receipt.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index in range(count):
        publish(b"%d %d" % (first + index, time.monotonic_ns()))
        # Sleep to an absolute schedule so a slow fan-out does not lower the offered rate.
        await asyncio.sleep(max(0.0, start + (index + 1) * interval - loop.time()))
