"""The server options of ``stario serve`` / ``stario watch`` as one table.

Each `Option` names its flag, its ``STARIO_*`` environment variable, how to parse a
raw string and the help text; the default comes from `ServerConfig` itself, so the
help, the environment lookup, parsing and validation cannot drift apart. Range
checks live in `ServerConfig`; its `ConfigError` is translated back to the flag.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import cast

from stario.config import ConfigError, ServerConfig
from stario.http.proxy import ProxyTrust

__all__ = [
    "OPTIONS",
    "Option",
    "Setting",
    "UsageError",
    "changed_flags",
    "config_from",
    "option_for",
    "resolve",
]


class UsageError(Exception):
    """Bad command-line input. ``str()`` is one line for stderr; the exit code is 2."""


# --- parsers: raw string -> value, or ValueError("must be ...") --------------------------


def _text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def _integer(raw: str) -> int:
    try:
        return int(raw.strip(), 10)
    except ValueError:
        raise ValueError("must be an integer") from None


def _seconds(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number of seconds")
    return value


def _octal_mode(raw: str) -> int:
    # Accept the three spellings people type: 0o660 (Python), 0660 (chmod), 660.
    text = raw.strip().lower().removeprefix("0o")
    if not re.fullmatch(r"[0-7]{1,4}", text) or int(text, 8) > 0o777:
        raise ValueError("must be an octal mode between 0o000 and 0o777, e.g. 0o660")
    return int(text, 8)


def _proxies(raw: str) -> str:
    # Parsed here for the message; ServerConfig keeps the spec as text.
    return ProxyTrust.parse(raw).spec


def _loop(raw: str) -> str:
    if raw not in ("auto", "asyncio", "uvloop"):
        raise ValueError("must be one of auto, asyncio, uvloop")
    return raw


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    """One server option: ``--flag``, ``STARIO_*`` variable, parser, help, default."""

    name: str
    """The `ServerConfig` field it sets (``tracer`` is the one non-config option)."""
    parse: Callable[[str], object]
    help: str
    metavar: str
    default_text: str | None = None
    """Shown as the default; ``None`` means: format the `ServerConfig` default."""

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--max-request-body-bytes``."""
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        """The environment variable, e.g. ``STARIO_MAX_REQUEST_BODY_BYTES``."""
        return "STARIO_" + self.name.upper()

    @property
    def default(self) -> str:
        """The default as shown in ``--help``."""
        if self.default_text is not None:
            return self.default_text
        return str(_CONFIG_DEFAULTS[self.name])

    def help_line(self) -> str:
        """Help text ending in ``(env STARIO_X, default Y)``."""
        text = f"{self.help} (env {self.env}, default {self.default})"
        return text.replace("%", "%%")  # argparse formats help with %


_CONFIG_DEFAULTS = {f.name: f.default for f in fields(ServerConfig) if f.default is not MISSING}

_TRACER_HELP = (
    "where spans go: auto (tty on a terminal, else json), json (NDJSON lines on stdout), "
    "sqlite (stario-traces.sqlite3 or $STARIO_TRACES_SQLITE), tty (live span tree), "
    "noop (nothing), otel (OTLP via OTEL_EXPORTER_OTLP_*; needs stario[otel]), or "
    "MODULE:CALLABLE (a zero-argument factory returning a Tracer)"
)

OPTIONS: tuple[Option, ...] = (
    Option("host", _text, "address to bind; use 0.0.0.0 inside a container", "HOST"),
    Option("port", _integer, "TCP port to bind, 0 to 65535; 0 picks a free port", "PORT"),
    Option("unix_socket", _text, "listen on this Unix socket instead of host/port", "PATH", "none"),
    Option(
        "unix_socket_mode",
        _octal_mode,
        "permissions of the Unix socket, octal (0o660, 0660 or 660)",
        "MODE",
        oct(cast(int, _CONFIG_DEFAULTS["unix_socket_mode"])),
    ),
    Option("tracer", _text, _TRACER_HELP, "TRACER", "auto"),
    Option(
        "max_request_header_bytes",
        _integer,
        "cap on request line + headers, at least 256; over it: 431",
        "BYTES",
    ),
    Option(
        "max_request_body_bytes",
        _integer,
        "cap on a buffered request body, at least 1; over it: 413",
        "BYTES",
    ),
    Option(
        "graceful_timeout",
        _seconds,
        "seconds in-flight requests and tasks get to finish after SIGINT/SIGTERM, at least 0",
        "SECONDS",
    ),
    Option(
        "keep_alive_timeout",
        _seconds,
        "seconds an idle keep-alive connection stays open, above 0",
        "SECONDS",
    ),
    Option(
        "header_timeout",
        _seconds,
        "seconds to receive a whole request head before closing, above 0",
        "SECONDS",
    ),
    Option(
        "compress_min_size",
        _integer,
        "smallest body in bytes worth compressing, at least 0",
        "BYTES",
    ),
    Option("compress_zstd_level", _integer, "zstd level, up to 22; negative disables", "LEVEL"),
    Option("compress_brotli_level", _integer, "brotli level, up to 11; negative disables", "LEVEL"),
    Option("compress_gzip_level", _integer, "gzip level, up to 9; negative disables", "LEVEL"),
    Option("compress_zstd_window_log", _integer, "zstd window log, 10 to 31", "N", "the codec's"),
    Option(
        "compress_brotli_window_log", _integer, "brotli window log, 10 to 24", "N", "the codec's"
    ),
    Option("compress_gzip_window_bits", _integer, "gzip window bits, 9 to 15", "N", "the codec's"),
    Option("loop", _loop, "event loop: auto (uvloop if installed), asyncio or uvloop", "LOOP"),
    Option(
        "forwarded_allow_ips",
        _proxies,
        "proxies trusted to set the client address and scheme with X-Forwarded-For/-Proto "
        "or Forwarded: IPs, CIDR networks, * or unix, comma-separated; off when unset",
        "ADDRS",
        "none",
    ),
)

_BY_NAME = {opt.name: opt for opt in OPTIONS}


def option_for(name: str) -> Option:
    """The option that sets `ServerConfig` field (or ``tracer``) `name`."""
    return _BY_NAME[name]


# --- resolving: flag > environment > default ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Setting:
    """A parsed value and where it came from (``from_env`` false means a flag)."""

    option: Option
    value: object
    raw: str
    from_env: bool

    def error(self, reason: str) -> UsageError:
        """A `UsageError` naming the flag, prefixed by ``STARIO_X=raw:`` for env values."""
        return UsageError(self.origin() + f"{self.option.flag} {reason}")

    def origin(self) -> str:
        """``"STARIO_X=raw: "`` when the value came from the environment, else ``""``."""
        return f"{self.option.env}={self.raw}: " if self.from_env else ""


def resolve(flags: Mapping[str, str | None], env: Mapping[str, str]) -> dict[str, Setting]:
    """Parse the options that were set, by flag or else by env var; defaults are absent.

    `flags` maps option names to raw flag values (``None``: not given). An empty
    environment variable counts as unset. Raises `UsageError` on the first bad value.
    """
    settings: dict[str, Setting] = {}
    for opt in OPTIONS:
        raw = flags.get(opt.name)
        if opt.name == "tracer" and raw == "auto" and env.get(opt.env):
            raw = None  # `--tracer auto` means "decide for me": a STARIO_TRACER choice wins.
        from_env = raw is None
        if raw is None:
            raw = env.get(opt.env) or None
        if raw is None:
            continue
        try:
            value = opt.parse(raw)
        except ValueError as exc:
            got = "" if from_env else f" (got {raw!r})"
            raise Setting(opt, None, raw, from_env).error(f"{exc}{got}") from None
        settings[opt.name] = Setting(opt, value, raw, from_env)
    return settings


def config_from(settings: Mapping[str, Setting]) -> ServerConfig:
    """Build the `ServerConfig`; its range errors become `UsageError`s naming the flag."""
    values = {name: s.value for name, s in settings.items() if name in _CONFIG_DEFAULTS}
    try:
        return ServerConfig(**values)  # type: ignore[arg-type]  # parsed per field above
    except ConfigError as exc:
        setting = settings.get(exc.option)
        if setting is None:
            raise UsageError(str(exc)) from None
        raise setting.error(_reason(exc.option, str(exc))) from None


def _reason(field: str, message: str) -> str:
    # "port must be between 0 and 65535, got 70000" -> "must be between ... (got 70000)"
    reason = message.removeprefix(field + " ")
    match = re.fullmatch(r"(.*), got (.*)", reason)
    return f"{match[1]} (got {match[2]})" if match else reason


def changed_flags(settings: Iterable[Setting]) -> list[str]:
    """``--flag=raw`` for every setting given as a flag (to re-run the same command)."""
    return [f"{s.option.flag}={s.raw}" for s in settings if not s.from_env]
