"""Option parsing: flags > STARIO_* env vars > ServerConfig defaults, and bad values."""

from __future__ import annotations

from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.cli import OPTIONS, UsageError, build_config, parse
from stario.config import ServerConfig

APP = "main:bootstrap"
NOT_OPTIONS = {"body_read_timeout", "pipeline_backlog"}  # fixed by the framework


def config(*args: str, **env: str) -> ServerConfig:
    return build_config(["serve", APP, *args], env)


def error(*args: str, **env: str) -> str:
    with pytest.raises(UsageError) as info:
        parse(["serve", APP, *args], env)
    return str(info.value)


def test_defaults_are_server_config_defaults() -> None:
    assert config() == ServerConfig()


def test_every_config_field_has_exactly_one_option() -> None:
    names = {opt.name for opt in OPTIONS} - {"tracer"}
    assert names == {f.name for f in fields(ServerConfig)} - NOT_OPTIONS


def test_flag_and_env_names_follow_the_field() -> None:
    opt = next(o for o in OPTIONS if o.name == "compress_gzip_window_bits")
    assert (opt.flag, opt.env) == (
        "--compress-gzip-window-bits",
        "STARIO_COMPRESS_GZIP_WINDOW_BITS",
    )


@pytest.mark.parametrize(
    ("args", "field", "value"),
    [
        (["--host", "0.0.0.0"], "host", "0.0.0.0"),
        (["--port", "9000"], "port", 9000),
        (["--port=0"], "port", 0),
        (["--unix-socket", "/run/stario/app.sock"], "unix_socket", "/run/stario/app.sock"),
        (["--unix-socket-mode", "0o600"], "unix_socket_mode", 0o600),
        (["--unix-socket-mode", "0600"], "unix_socket_mode", 0o600),
        (["--unix-socket-mode", "600"], "unix_socket_mode", 0o600),
        (["--max-request-header-bytes", "65536"], "max_request_header_bytes", 65536),
        (["--max-request-body-bytes", "10485760"], "max_request_body_bytes", 10485760),
        (["--graceful-timeout", "0"], "graceful_timeout", 0.0),
        (["--keep-alive-timeout", "2.5"], "keep_alive_timeout", 2.5),
        (["--header-timeout", "1"], "header_timeout", 1.0),
        (["--compress-min-size", "0"], "compress_min_size", 0),
        (["--compress-zstd-level", "-1"], "compress_zstd_level", -1),
        (["--compress-brotli-level", "11"], "compress_brotli_level", 11),
        (["--compress-gzip-level=9"], "compress_gzip_level", 9),
        (["--compress-zstd-window-log", "31"], "compress_zstd_window_log", 31),
        (["--compress-brotli-window-log", "10"], "compress_brotli_window_log", 10),
        (["--compress-gzip-window-bits", "15"], "compress_gzip_window_bits", 15),
        (["--loop", "asyncio"], "loop", "asyncio"),
    ],
)
def test_each_flag_sets_its_field(args: list[str], field: str, value: object) -> None:
    assert getattr(config(*args), field) == value


def test_guide_example_command_line() -> None:
    inv = parse(
        [
            "serve", APP, "--host", "0.0.0.0", "--port", "8000", "--tracer", "json",
            "--max-request-header-bytes", "65536", "--max-request-body-bytes", "10485760",
        ],
        {},
    )  # fmt: skip
    assert (inv.app, inv.tracer, inv.config.host, inv.config.port) == (APP, "json", "0.0.0.0", 8000)


def test_env_var_beats_default() -> None:
    assert config(STARIO_PORT="9001", STARIO_LOOP="asyncio").port == 9001
    assert config(STARIO_UNIX_SOCKET_MODE="0o600").unix_socket_mode == 0o600


def test_flag_beats_env_var() -> None:
    assert config("--port", "9002", STARIO_PORT="9001").port == 9002


def test_tracer_flag_beats_env_but_auto_defers_to_it() -> None:
    env = {"STARIO_TRACER": "noop"}
    assert parse(["serve", APP, "--tracer", "json"], env).tracer == "json"
    assert parse(["serve", APP, "--tracer", "auto"], env).tracer == "noop"
    assert parse(["serve", APP, "--tracer", "auto"], {}).tracer == "auto"
    assert parse(["serve", APP], env).tracer == "noop"


def test_bad_env_var_is_ignored_when_the_flag_is_given() -> None:
    assert config("--port", "9002", STARIO_PORT="abc").port == 9002


def test_empty_env_var_counts_as_unset() -> None:
    assert config(STARIO_PORT="", STARIO_UNIX_SOCKET="") == ServerConfig()


def test_tracer_defaults_to_auto_and_follows_precedence() -> None:
    assert parse(["serve", APP], {}).tracer == "auto"
    assert parse(["serve", APP], {"STARIO_TRACER": "noop"}).tracer == "noop"
    assert parse(["serve", APP, "--tracer", "json"], {"STARIO_TRACER": "noop"}).tracer == "json"


@given(port=st.integers(0, 65535), env_port=st.integers(0, 65535))
def test_precedence_holds_for_any_ports(port: int, env_port: int) -> None:
    env = {"STARIO_PORT": str(env_port)}
    assert config(STARIO_PORT=str(env_port)).port == env_port
    assert build_config(["serve", APP, "--port", str(port)], env).port == port


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "abc"], "--port must be an integer (got 'abc')"),
        (["--port", "70000"], "--port must be between 0 and 65535 (got 70000)"),
        (["--port", "-1"], "--port must be between 0 and 65535 (got -1)"),
        (["--max-request-header-bytes", "255"], "--max-request-header-bytes must be >= 256"),
        (["--max-request-body-bytes", "0"], "--max-request-body-bytes must be >= 1"),
        (["--tracer", "bogus"], "--tracer must be auto, json, sqlite, tty, noop, otel or MODULE:CALLABLE"),  # noqa: E501
        (["--loop", "trio"], "--loop must be one of auto, asyncio, uvloop (got 'trio')"),
        (["--unix-socket-mode", "0o999"], "--unix-socket-mode must be an octal mode"),
        (["--unix-socket-mode", "rw-rw----"], "--unix-socket-mode must be an octal mode"),
        (["--compress-zstd-window-log", "32"], "--compress-zstd-window-log must be between 10 and 31"),  # noqa: E501
        (["--compress-brotli-window-log", "9"], "--compress-brotli-window-log must be between 10 and 24"),  # noqa: E501
        (["--compress-gzip-window-bits", "16"], "--compress-gzip-window-bits must be between 9 and 15"),  # noqa: E501
        (["--compress-gzip-level", "10"], "--compress-gzip-level must be <= 9"),
        (["--graceful-timeout", "-1"], "--graceful-timeout must be >= 0"),
        (["--keep-alive-timeout", "0"], "--keep-alive-timeout must be >= 0.001"),
        (["--header-timeout", "inf"], "--header-timeout must be a finite number of seconds"),
        (["--graceful-timeout", "soon"], "--graceful-timeout must be a number of seconds"),
        (["--host", ""], "--host must not be empty"),
    ],
)  # fmt: skip
def test_bad_flag_names_the_flag(args: list[str], message: str) -> None:
    text = error(*args)
    assert text.startswith(message)
    assert "\n" not in text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STARIO_PORT": "abc"}, "STARIO_PORT=abc: --port must be an integer"),
        ({"STARIO_PORT": "70000"}, "STARIO_PORT=70000: --port must be between 0 and 65535 (got 70000)"),  # noqa: E501
        ({"STARIO_LOOP": "trio"}, "STARIO_LOOP=trio: --loop must be one of auto, asyncio, uvloop"),
        ({"STARIO_TRACER": "sqlit"}, "STARIO_TRACER=sqlit: --tracer must be auto, json, sqlite"),
        ({"STARIO_COMPRESS_ZSTD_LEVEL": "23"}, "STARIO_COMPRESS_ZSTD_LEVEL=23: --compress-zstd-level"),  # noqa: E501
    ],
)  # fmt: skip
def test_bad_env_value_names_the_env_var_and_the_flag(env: dict[str, str], message: str) -> None:
    assert error(**env).startswith(message)


def test_options_of_later_releases_do_not_exist() -> None:
    assert error("--workers", "2") == "unrecognized arguments: --workers 2"


def test_abbreviated_flags_are_refused() -> None:
    assert error("--po", "9000").startswith("unrecognized arguments")


def test_watch_takes_the_same_options_and_repeatable_paths() -> None:
    inv = parse(
        ["watch", APP, "--port", "0", "--watch", "src", "--watch", "templates",
         "--watch-ignore", "data"],
        {"STARIO_LOOP": "asyncio"},
    )  # fmt: skip
    assert inv.command == "watch"
    assert inv.config.port == 0
    assert inv.config.loop == "asyncio"
    assert inv.watch == ("src", "templates")
    assert inv.watch_ignore == ("data",)
    # The child gets flags as given; env vars reach it through the environment.
    assert inv.serve_argv() == ["serve", APP, "--port=0"]


def test_serve_argv_reproduces_the_same_config() -> None:
    argv = ["watch", APP, "--compress-gzip-level", "-1", "--unix-socket-mode", "600",
            "--tracer", "noop", "--watch", "."]  # fmt: skip
    inv = parse(argv, {})
    again = parse(inv.serve_argv(), {})
    assert (again.command, again.config, again.tracer) == ("serve", inv.config, "noop")
