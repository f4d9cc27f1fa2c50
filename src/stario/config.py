"""``ServerConfig``: every knob of the server in one frozen value.

The CLI builds it from flags, then ``STARIO_*`` environment variables, then these
defaults. Code that embeds ``Server`` builds it directly. Nothing here reads the
environment at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Literal

from stario.http.proxy import trust_for

__all__ = ["ConfigError", "ServerConfig"]

LoopName = Literal["auto", "asyncio", "uvloop"]


class ConfigError(ValueError):
    """A configuration value is out of range; ``option`` names the field."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Listen address, limits, timeouts and compression settings for ``Server``."""

    host: str = "127.0.0.1"
    port: int = 8000
    unix_socket: str | None = None
    unix_socket_mode: int = 0o660
    max_request_header_bytes: int = 65536
    max_request_body_bytes: int = 10 * 1024 * 1024
    # The guide fixes this at 30 s for the CLI; code (and tests) may inject another.
    body_read_timeout: float = 30.0
    graceful_timeout: float = 5.0
    keep_alive_timeout: float = 5.0
    header_timeout: float = 10.0
    compress_min_size: int = 512
    compress_zstd_level: int = 3
    compress_brotli_level: int = 4
    compress_gzip_level: int = 6
    compress_zstd_window_log: int | None = None
    compress_brotli_window_log: int | None = None
    compress_gzip_window_bits: int | None = None
    loop: LoopName = "auto"
    # Proxies whose X-Forwarded-* / Forwarded headers set Request.scheme and .client:
    # comma-separated IPs, CIDR networks, "*" and "unix". None: trust nobody.
    forwarded_allow_ips: str | None = None
    # How many pipelined requests may wait before the connection stops reading.
    pipeline_backlog: int = 16

    def __post_init__(self) -> None:
        for check in _CHECKS:
            check(self)

    def as_attributes(self) -> dict[str, str | int | float | bool]:
        """The configuration as flat span attributes (``config.<field>``)."""
        out: dict[str, str | int | float | bool] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f"config.{f.name}"] = value
        return out


_Check = Callable[[ServerConfig], None]


def _at_least(name: str, low: float, unit: str = "") -> _Check:
    def check(cfg: ServerConfig) -> None:
        value = getattr(cfg, name)
        if value < low:
            raise ConfigError(name, f"{name} must be >= {low}{unit}, got {value}")

    return check


def _between(name: str, low: int, high: int, optional: bool = False) -> _Check:
    def check(cfg: ServerConfig) -> None:
        value = getattr(cfg, name)
        if value is None and optional:
            return
        if not low <= value <= high:
            raise ConfigError(name, f"{name} must be between {low} and {high}, got {value}")

    return check


def _level(name: str, high: int) -> _Check:
    # A negative level disables the codec; otherwise the codec's own range applies.
    def check(cfg: ServerConfig) -> None:
        value = getattr(cfg, name)
        if value > high:
            raise ConfigError(name, f"{name} must be <= {high} (negative disables), got {value}")

    return check


def _forwarded_allow_ips(cfg: ServerConfig) -> None:
    try:
        trust_for(cfg.forwarded_allow_ips)
    except ValueError as exc:
        raise ConfigError("forwarded_allow_ips", f"forwarded_allow_ips {exc}") from None


def _loop(cfg: ServerConfig) -> None:
    if cfg.loop not in ("auto", "asyncio", "uvloop"):
        raise ConfigError("loop", f"loop must be one of auto, asyncio, uvloop, got {cfg.loop!r}")


_CHECKS = (
    _between("port", 0, 65535),
    _between("unix_socket_mode", 0, 0o777),
    _at_least("max_request_header_bytes", 256),
    _at_least("max_request_body_bytes", 1),
    _at_least("body_read_timeout", 0.001, " s"),
    _at_least("graceful_timeout", 0, " s"),
    _at_least("keep_alive_timeout", 0.001, " s"),
    _at_least("header_timeout", 0.001, " s"),
    _at_least("compress_min_size", 0),
    _level("compress_zstd_level", 22),
    _level("compress_brotli_level", 11),
    _level("compress_gzip_level", 9),
    _between("compress_zstd_window_log", 10, 31, optional=True),
    _between("compress_brotli_window_log", 10, 24, optional=True),
    _between("compress_gzip_window_bits", 9, 15, optional=True),
    _loop,
    _forwarded_allow_ips,
    _at_least("pipeline_backlog", 1),
)
