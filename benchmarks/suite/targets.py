"""The servers under test: how to launch each, and the virtual environment it runs in.

stario and the ceiling run in the project's own environment. Every peer has its own
virtual environment under ``benchmarks/.venvs/<name>``, built from the pinned
``benchmarks/requirements/<name>.txt``, so no peer's dependencies can change another's.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from suite.paths import APPS, REQUIREMENTS, VENVS

KEEP_ALIVE = "120"  # the same idle keep-alive timeout as apps/common.py gives the peers
UVICORN = ("--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning")


@dataclass(frozen=True, slots=True)
class Target:
    """One server: its name, its role, and its command line for a port."""

    name: str
    role: str
    """``stario``, ``ceiling`` or ``peer``."""
    build: Callable[[Path, int], list[str]]
    """``build(bin_dir, port)``: the command, with programs taken from ``bin_dir``."""
    packages: tuple[str, ...] = ()
    """The distributions whose versions the report shows."""
    sse: bool = False
    """True when it serves ``GET /sse`` and ``POST /publish``."""

    @property
    def venv(self) -> Path | None:
        """The peer's own virtual environment (``None``: the interpreter running the suite)."""
        return VENVS / self.name if self.role == "peer" else None

    @property
    def requirements(self) -> Path | None:
        """The pinned requirements the peer's environment is built from."""
        return REQUIREMENTS / f"{self.name}.txt" if self.role == "peer" else None

    def bin_dir(self) -> Path:
        """Where this target's ``python`` and console scripts live."""
        venv = self.venv
        return venv / "bin" if venv is not None else Path(sys.executable).parent

    def command(self, port: int) -> list[str]:
        """The command line serving on ``127.0.0.1:port`` (run with ``cwd=APPS``)."""
        return self.build(self.bin_dir(), port)


def stario_command(bin_dir: Path, port: int) -> list[str]:
    """``stario serve`` with the noop tracer, uvloop, compression off, long keep-alive."""
    off = ("-1",)
    return [
        str(bin_dir / "python"),
        *("-m", "stario", "serve", "stario_app:bootstrap"),
        *("--host", "127.0.0.1", "--port", str(port), "--tracer", "noop", "--loop", "uvloop"),
        *("--keep-alive-timeout", KEEP_ALIVE),
        *("--compress-zstd-level", *off, "--compress-brotli-level", *off),
        *("--compress-gzip-level", *off),
    ]


def _script(name: str) -> Callable[[Path, int], list[str]]:
    return lambda bin_dir, port: [str(bin_dir / "python"), name, "--port", str(port)]


def _uvicorn(app: str) -> Callable[[Path, int], list[str]]:
    def build(bin_dir: Path, port: int) -> list[str]:
        return [
            str(bin_dir / "python"),
            *("-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)),
            *UVICORN,
            *("--timeout-keep-alive", KEEP_ALIVE, "--backlog", "2048"),
        ]

    return build


def _granian(bin_dir: Path, port: int) -> list[str]:
    return [
        str(bin_dir / "granian"),
        *("--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)),
        *("--workers", "1", "--loop", "uvloop", "--no-access-log", "--log-level", "warning"),
        # Backpressure defaults to backlog / workers and then drops connections beyond
        # it; raised so Granian holds 10,000 idle connections as the other servers do.
        *("--backlog", "2048", "--backpressure", "16384", "--no-ws", "blacksheep_app:app"),
    ]


LOOP = ("uvloop", "httptools")
ASGI = ("uvicorn", *LOOP)

TARGETS: tuple[Target, ...] = (
    Target("stario", "stario", stario_command, ("stario", *LOOP), sse=True),
    Target("ceiling", "ceiling", _script("ceiling.py"), LOOP),
    Target("sanic", "peer", _script("sanic_app.py"), ("sanic", *LOOP)),
    Target("blacksheep-granian", "peer", _granian, ("blacksheep", "granian", "uvloop")),
    Target("blacksheep-uvicorn", "peer", _uvicorn("blacksheep_app:app"), ("blacksheep", *ASGI)),
    Target(
        "fastapi-uvicorn",
        "peer",
        _uvicorn("fastapi_app:app"),
        ("fastapi", "starlette", "pydantic", *ASGI),
    ),
    Target(
        "starlette-uvicorn",
        "peer",
        _uvicorn("starlette_app:app"),
        ("starlette", "sse-starlette", *ASGI),
        sse=True,
    ),
    Target(
        "aiohttp", "peer", _script("aiohttp_app.py"), ("aiohttp", "aiohttp-sse", "uvloop"), sse=True
    ),
)
BY_NAME = {t.name: t for t in TARGETS}


class VenvError(RuntimeError):
    """A peer's virtual environment could not be built; the message has pip's last lines."""


def ensure_venv(target: Target, *, log: Callable[[str], None]) -> None:
    """Build the peer's environment if it is missing or its requirements changed."""
    venv, requirements = target.venv, target.requirements
    if venv is None or requirements is None:
        return
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = venv / ".requirements.sha256"
    if (venv / "bin" / "python").exists() and stamp.exists() and stamp.read_text() == digest:
        return
    log(f"building {venv} from {requirements.name}")
    _run([sys.executable, "-m", "venv", "--clear", str(venv)], timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "install", "-r", str(requirements)], timeout=900)
    stamp.write_text(digest)


def _run(command: list[str], *, timeout: float) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise VenvError(f"{command[0]} took more than {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise VenvError(f"{' '.join(command[:4])} failed:\n{tail}")


def versions(target: Target, packages: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of ``packages`` in the target's environment (missing ones omitted)."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try: out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    python = str(target.bin_dir() / "python")
    done = subprocess.run(
        [python, "-c", code, *packages], capture_output=True, text=True, timeout=60, cwd=APPS
    )
    if done.returncode != 0:
        return {}
    result: dict[str, str] = json.loads(done.stdout)
    return result
