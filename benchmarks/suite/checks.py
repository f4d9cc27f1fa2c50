"""Check a server's answers (status, content-type, body, keep-alive) before measuring it.

A server that fails any check is reported with the reason and not measured: numbers
from a server that answers something else would compare nothing.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Check:
    """One request and the answer it must get."""

    method: str
    path: str
    status: int
    content_type: str
    body: bytes | None = None
    """The exact body expected (compact JSON where JSON), or ``None`` for any body."""
    request_body: bytes | None = None


JSON = "application/json"
VALID = b'{"name":"Ada","age":42}'

ROUTE_CHECKS: tuple[Check, ...] = (
    Check("GET", "/plaintext", 200, "text/plain", body=b"Hello, World!"),
    Check("GET", "/json", 200, JSON, body=b'{"message":"Hello, World!"}'),
    Check("GET", "/user/42", 200, JSON, body=b'{"id":"42","name":"User 42"}'),
    Check("GET", "/user/7", 200, JSON, body=b'{"id":"7","name":"User 7"}'),
    Check("POST", "/validate", 200, JSON, body=VALID, request_body=VALID),
    Check("POST", "/validate", 400, JSON, request_body=b'{"name":"","age":42}'),
    Check("POST", "/validate", 400, JSON, request_body=b'{"name":"Ada","age":"x"}'),
    Check("POST", "/validate", 400, JSON, request_body=b'{"name":"Ada","age":true}'),
    Check("POST", "/validate", 400, JSON, request_body=b"[1,2]"),
    Check("POST", "/validate", 400, JSON, request_body=b"not json"),
)


def check_routes(port: int, checks: tuple[Check, ...] = ROUTE_CHECKS) -> list[str]:
    """Problems found (empty when every check passes), all on one keep-alive connection."""
    problems: list[str] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    first_socket: object = None
    try:
        for check in checks:
            problem = _one(conn, check)
            if problem:
                problems.append(problem)
            if first_socket is None:
                first_socket = conn.sock
            elif conn.sock is not first_socket:
                problems.append(f"{check.method} {check.path}: connection was not kept alive")
                break
    except (OSError, http.client.HTTPException) as exc:
        problems.append(f"request failed: {exc!r}")
    finally:
        conn.close()
    return problems


def _one(conn: http.client.HTTPConnection, check: Check) -> str | None:
    headers = {"Content-Type": "application/json"} if check.request_body is not None else {}
    conn.request(check.method, check.path, body=check.request_body, headers=headers)
    response = conn.getresponse()
    body = response.read()
    where = f"{check.method} {check.path} {check.request_body or b''!r}"
    if response.status != check.status:
        return f"{where}: status {response.status}, expected {check.status}"
    media = (response.getheader("content-type") or "").split(";")[0].strip().lower()
    if media != check.content_type:
        return f"{where}: content-type {media!r}, expected {check.content_type!r}"
    if check.body is not None and body != check.body:
        return f"{where}: body {body[:80]!r}, expected {check.body!r}"
    return None
