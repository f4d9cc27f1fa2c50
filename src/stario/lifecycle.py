"""Running a user's ``bootstrap(app, span)``: setup before serving, teardown after."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from stario.errors import StarioError
from stario.telemetry import Span

if TYPE_CHECKING:
    from stario.app import App

__all__ = ["Bootstrap", "run_bootstrap"]

Bootstrap: TypeAlias = Callable[["App", Span], Any]

_EXAMPLE = """async def bootstrap(app: App, span: Span):
    app.get("/", home)
    yield          # serving happens here
    # teardown"""


@asynccontextmanager
async def run_bootstrap(bootstrap: Bootstrap, app: App, span: Span) -> AsyncIterator[None]:
    """Run setup, yield while the app serves, then run teardown.

    Accepts an async generator with exactly one ``yield``, an async context manager
    factory, an ``async def`` or a plain ``def``. Anything else fails with a message.
    """
    name = getattr(bootstrap, "__qualname__", repr(bootstrap))
    if inspect.isgeneratorfunction(bootstrap):
        raise StarioError(
            f"bootstrap {name} is a plain generator", help="make it `async def`", example=_EXAMPLE
        )
    result = bootstrap(app, span)
    if inspect.isasyncgen(result):
        async with _one_yield(cast("AsyncGenerator[Any, None]", result), name):
            yield
    elif isinstance(result, AbstractAsyncContextManager) or hasattr(result, "__aenter__"):
        async with result:
            yield
    elif inspect.isawaitable(result):
        value = await result
        _expect_none(value, name)
        yield
    else:
        _expect_none(result, name)
        yield


@asynccontextmanager
async def _one_yield(gen: AsyncGenerator[Any, None], name: str) -> AsyncIterator[None]:
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        raise StarioError(
            f"bootstrap {name} finished without reaching `yield`",
            help="an async generator bootstrap must yield exactly once",
            example=_EXAMPLE,
        ) from None
    try:
        yield
    finally:
        try:
            await gen.__anext__()
        except StopAsyncIteration:
            pass
        else:
            await gen.aclose()
            raise StarioError(
                f"bootstrap {name} yielded more than once",
                help="an async generator bootstrap must yield exactly once",
                example=_EXAMPLE,
            )


def _expect_none(value: object, name: str) -> None:
    if value is not None:
        raise StarioError(
            f"bootstrap {name} returned {type(value).__name__}, expected None",
            help="register routes on `app`; use `yield` for teardown",
            example=_EXAMPLE,
        )
