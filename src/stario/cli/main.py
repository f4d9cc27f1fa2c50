"""The ``stario`` command: ``serve``, ``watch``, ``init`` and ``--version``.

Parsing is a pure function of ``argv`` and the environment (`parse`,
`build_config`); only `main` prints, exits with code 2 on bad input and runs things.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import NoReturn

from stario.config import ServerConfig

from .init import add_init_command, run_init
from .loader import LoadError, load_bootstrap, one_line
from .options import (
    OPTIONS,
    Setting,
    UsageError,
    changed_flags,
    config_from,
    option_for,
    resolve,
)
from .tracers import TracerError, check_tracer_spec, make_tracer

__all__ = ["Invocation", "build", "build_config", "build_parser", "main", "parse", "version"]

_APP_HELP = (
    "where bootstrap lives, e.g. main:bootstrap; MODULE is imported with the current "
    "directory on sys.path and ATTR may be dotted (module:attr.sub)"
)
_SERVE_DESCRIPTION = (
    "Import MODULE, run ATTR(app, span) as the bootstrap, listen, and serve until "
    "SIGINT or SIGTERM; then drain for up to --graceful-timeout and run the teardown."
)
_WATCH_DESCRIPTION = (
    "Run `stario serve` with the same options in a child process and restart it when a "
    "file under the watched paths changes. SQLite/database files, __pycache__, .git, "
    "virtualenvs, node_modules and tool caches are ignored."
)
_CHECK_HELP = (
    "import MODULE and run the bootstrap's setup and teardown without binding or tracing; "
    "print 'ok: MODULE:ATTR' and exit 0, or the error and exit 1 (2 for usage errors)"
)
_EPILOG = (
    "Flags win over STARIO_* environment variables, which win over defaults; an empty "
    "variable counts as unset. The 30 s limit on a stalled request body (408) is fixed."
)


def version() -> str:
    """The installed stario version, or ``"0+unknown"`` when it cannot be found."""
    try:
        return metadata.version("stario")
    except metadata.PackageNotFoundError:
        import stario

        return str(getattr(stario, "__version__", "0+unknown"))


def build() -> str:
    """How the installed per-request modules run: compiled with mypyc, or pure Python."""
    from importlib.util import find_spec

    spec = find_spec("stario.http.connection")
    origin = spec.origin if spec is not None else None
    if origin is not None and not origin.endswith(".py"):
        return "compiled with mypyc"
    return "pure Python"


class _Parser(argparse.ArgumentParser):
    # argparse prints usage and exits; we want one line and a testable exception.
    def error(self, message: str) -> NoReturn:
        raise UsageError(one_line(message))


def build_parser() -> argparse.ArgumentParser:
    """The ``stario`` argument parser; its errors raise `UsageError` instead of exiting."""
    parser = _Parser(
        prog="stario",
        description="Run a stario app on its built-in HTTP/1.1 server.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"stario {version()} ({build()})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = _add_command(commands, "serve", "serve the app", _SERVE_DESCRIPTION)
    serve.add_argument("--check", action="store_true", help=_CHECK_HELP)
    watch = _add_command(commands, "watch", "serve and restart on changes", _WATCH_DESCRIPTION)
    watch.add_argument(
        "--watch", action="append", default=[], metavar="PATH",
        help="watch this file or directory instead of the current directory (repeatable)",
    )  # fmt: skip
    watch.add_argument(
        "--watch-ignore", action="append", default=[], metavar="PATH",
        help="ignore changes under this path, or to files matching this glob (repeatable)",
    )  # fmt: skip
    add_init_command(commands)
    return parser


def _add_command(
    commands: argparse._SubParsersAction[_Parser],
    name: str,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=_EPILOG,
        formatter_class=_formatter,
        allow_abbrev=False,
    )
    parser.add_argument("app", metavar="MODULE:ATTR", help=_APP_HELP)
    for opt in OPTIONS:
        # Raw strings, no defaults: precedence and parsing happen in options.resolve.
        parser.add_argument(opt.flag, dest=opt.name, metavar=opt.metavar, help=opt.help_line())
    return parser


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog, max_help_position=34)


@dataclass(frozen=True, slots=True)
class Invocation:
    """A parsed ``stario serve`` / ``stario watch`` command line."""

    command: str
    app: str
    config: ServerConfig
    tracer: str
    settings: Mapping[str, Setting]
    watch: tuple[str, ...] = field(default=())
    watch_ignore: tuple[str, ...] = field(default=())
    check: bool = False

    def serve_argv(self) -> list[str]:
        """``["serve", APP, "--flag=value", ...]``: the options given as flags, unchanged."""
        return ["serve", self.app, *changed_flags(self.settings.values())]

    def tracer_error(self, exc: TracerError) -> UsageError:
        """`exc` prefixed with ``STARIO_TRACER=...:`` when the value came from the env."""
        setting = self.settings.get("tracer")
        return UsageError((setting.origin() if setting else "") + str(exc))


def parse(argv: Sequence[str], env: Mapping[str, str]) -> Invocation:
    """Parse ``argv`` (without the program name) against `env`; raise `UsageError`."""
    ns = build_parser().parse_args(list(argv))
    settings = resolve({opt.name: getattr(ns, opt.name) for opt in OPTIONS}, env)
    config = config_from(settings)
    tracer = settings["tracer"].value if "tracer" in settings else option_for("tracer").default
    inv = Invocation(
        command=ns.command,
        app=ns.app,
        config=config,
        tracer=str(tracer),
        settings=settings,
        watch=tuple(getattr(ns, "watch", ())),
        watch_ignore=tuple(getattr(ns, "watch_ignore", ())),
        check=bool(getattr(ns, "check", False)),
    )
    try:
        check_tracer_spec(inv.tracer)
    except TracerError as exc:
        raise inv.tracer_error(exc) from None
    return inv


def build_config(argv: Sequence[str], env: Mapping[str, str]) -> ServerConfig:
    """The `ServerConfig` for ``argv`` (e.g. ``["serve", "main:bootstrap", "--port", "9000"]``).

    Flags win over ``STARIO_*`` variables in `env`, which win over defaults.
    """
    return parse(argv, env).config


def _serve(inv: Invocation) -> int:
    bootstrap = load_bootstrap(inv.app)
    try:
        tracer = make_tracer(inv.tracer)
    except TracerError as exc:
        raise inv.tracer_error(exc) from None
    # Late import: parsing, --help and --version never depend on the server module.
    from stario.server import Server

    return Server(bootstrap, tracer, inv.config).run()


def _watch(inv: Invocation) -> int:
    from .watch import run_watch

    command = [sys.executable, "-m", "stario", *inv.serve_argv()]
    stop_timeout = inv.config.graceful_timeout + 2.0
    return run_watch(command, inv.watch, inv.watch_ignore, stop_timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stario``; return the exit code (2 for bad input, one line on stderr)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["init"]:
            return run_init(build_parser().parse_args(args).name)
        inv = parse(args, os.environ)
        if inv.check:
            from .check import run_check

            return run_check(inv.app, inv.config)
        return _watch(inv) if inv.command == "watch" else _serve(inv)
    except (UsageError, LoadError) as exc:
        print(f"stario: error: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C while importing the app: nothing is running yet, so no traceback.
        return 130
