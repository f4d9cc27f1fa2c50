"""Immutable multi-dicts for query strings and form fields."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, overload
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    from stario.forms import UploadFile

__all__ = ["FormData", "FormValue", "MultiDict", "QueryParams", "parse_query_pairs"]

FormValue: TypeAlias = "str | UploadFile"
V = TypeVar("V")
D = TypeVar("D")

MAX_PAIRS = 1000

# Non-empty ``&``-separated pieces; ``finditer`` lets us stop early without splitting it all.
_PIECE = re.compile(rb"[^&]+")


def _decode(part: bytes) -> str:
    # PERF: most names and values need no unescaping at all.
    if b"%" in part or b"+" in part:
        part = unquote_to_bytes(part.replace(b"+", b" "))
    return part.decode("utf-8", "replace")


def parse_query_pairs(raw: bytes | str, *, max_pairs: int = MAX_PAIRS) -> list[tuple[str, str]]:
    """Parse ``a=1&b=2`` into ``[("a", "1"), ("b", "2")]``, stopping after ``max_pairs``.

    Same results as ``urllib.parse.parse_qsl(raw, keep_blank_values=True)``: only ``&``
    separates, ``+`` is a space, ``%XX`` escapes are UTF-8 (bad bytes become U+FFFD),
    a piece without ``=`` has an empty value and empty pieces are skipped. Never raises.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    pairs: list[tuple[str, str]] = []
    if max_pairs <= 0:
        return pairs
    # SECURITY: bound the work an attacker can cause with a huge query or form body.
    for match in _PIECE.finditer(raw):
        name, _, value = match.group().partition(b"=")
        pairs.append((_decode(name), _decode(value)))
        if len(pairs) >= max_pairs:
            break
    return pairs


class MultiDict(Generic[V]):
    """Immutable mapping of ``str`` keys to one or more values, in insertion order.

    ``md[key]`` and ``get`` give the first value, ``getlist`` every value. ``len``,
    ``iter`` and ``keys`` see each distinct key once; ``items`` and ``values`` see every
    pair, in order.
    """

    __slots__ = ("_index", "_pairs")

    def __init__(self, pairs: Iterable[tuple[str, V]] = ()) -> None:
        self._pairs: list[tuple[str, V]] | None = list(pairs)
        self._index: dict[str, list[V]] | None = None

    def _load(self) -> list[tuple[str, V]]:
        """The pairs; subclasses that parse lazily override this."""
        return self._pairs or []

    def _group(self) -> dict[str, list[V]]:
        index = self._index
        if index is None:
            index = {}
            for key, value in self._load():
                index.setdefault(key, []).append(value)
            self._index = index
        return index

    @overload
    def get(self, key: str) -> V | None: ...
    @overload
    def get(self, key: str, default: D) -> V | D: ...
    def get(self, key: str, default: Any = None) -> Any:
        """The first value of ``key``, or ``default``."""
        values = self._group().get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[V]:
        """Every value of ``key`` in order; ``[]`` when absent."""
        return list(self._group().get(key, ()))

    def __getitem__(self, key: str) -> V:
        values = self._group().get(key)
        if not values:
            raise KeyError(key)
        return values[0]

    def __contains__(self, key: object) -> bool:
        return key in self._group()

    def __len__(self) -> int:
        return len(self._group())

    def __iter__(self) -> Iterator[str]:
        return iter(self._group())

    def keys(self) -> list[str]:
        """Distinct keys in first-seen order."""
        return list(self._group())

    def values(self) -> list[V]:
        """Every value in order (one per pair, like ``items``)."""
        return [value for _, value in self._load()]

    def items(self) -> list[tuple[str, V]]:
        """Every ``(key, value)`` pair in order, repeated keys included."""
        return list(self._load())

    def multi_items(self) -> list[tuple[str, V]]:
        """Same as ``items``: every pair, in order."""
        return self.items()

    def __eq__(self, other: object) -> bool:
        # Order between different keys does not matter; order of one key's values does.
        if not isinstance(other, MultiDict):
            return NotImplemented
        return self._group() == other._group()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._load()!r})"


class QueryParams(MultiDict[str]):
    """The query string as a multi-dict, parsed on first use.

    ``QueryParams(b"a=1&a=2&b")`` gives ``get("a") == "1"``, ``getlist("a") == ["1", "2"]``
    and ``get("b") == ""``. Only the first 1000 pairs are parsed; the rest are ignored.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes | str = b"") -> None:
        super().__init__()
        self._pairs = None
        self._raw = raw

    def _load(self) -> list[tuple[str, str]]:
        pairs = self._pairs
        if pairs is None:
            pairs = self._pairs = parse_query_pairs(self._raw)
        return pairs


class FormData(MultiDict[FormValue]):
    """Submitted form fields: text fields as ``str``, uploaded files as ``UploadFile``.

    Close it when done (``await form.close()`` or ``async with form:``) to delete the
    temporary files behind the uploads.
    """

    __slots__ = ()

    async def close(self) -> None:
        """Close every ``UploadFile`` in the form."""
        for _, value in self._load():
            if not isinstance(value, str):
                await value.close()

    async def __aenter__(self) -> FormData:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
