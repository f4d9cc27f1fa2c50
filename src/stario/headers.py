"""``Headers``: a case-insensitive multi-dict for request and response headers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from stario.errors import StarioError

__all__ = ["Headers"]

RawHeaders = list[tuple[bytes, bytes]]

# SECURITY: CR, LF and NUL in a response header would let user data split the response.
_FORBIDDEN = frozenset("\r\n\x00")


def check_header(name: str, value: str) -> None:
    """Raise StarioError unless ``name: value`` is safe to put in a response head."""
    if (
        not name
        or not name.isascii()
        or _FORBIDDEN.intersection(name)
        or ":" in name
        or " " in name
    ):
        raise StarioError(
            f"invalid header name {name!r}",
            help="header names are tokens: letters, digits and !#$%&'*+-.^_`|~",
        )
    if _FORBIDDEN.intersection(value):
        raise StarioError(
            f"header {name!r} has a CR, LF or NUL in its value",
            help="strip or encode line breaks before putting user data in a header",
        )
    if not value.isascii():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise StarioError(
                f"header {name!r} has characters outside latin-1 in its value",
                help="percent-encode them (RFC 8187 for parameters) or keep to ASCII",
            ) from None


class Headers:
    """Case-insensitive multi-dict of headers.

    Request headers are decoded lazily from the raw bytes the parser produced
    (latin-1, as RFC 9110 §5.5 allows); ``raw`` keeps those bytes. Response headers
    are built with ``set``/``add`` and validated so no value can split a response.
    Names are stored lower-cased.
    """

    __slots__ = ("_items", "_raw", "_sealed")

    def __init__(
        self,
        init: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        *,
        raw: RawHeaders | None = None,
    ) -> None:
        self._raw = raw
        self._items: list[tuple[str, str]] | None = None if raw is not None else []
        self._sealed = False
        if init is not None:
            pairs = init.items() if isinstance(init, Mapping) else init
            for name, value in pairs:
                self.add(name, value)

    def _pairs(self) -> list[tuple[str, str]]:
        items = self._items
        if items is None:
            raw = self._raw or []
            items = [(n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in raw]
            self._items = items
        return items

    @property
    def raw(self) -> RawHeaders:
        """The headers as ``(name, value)`` bytes pairs, names lower-cased."""
        return [(n.encode("latin-1"), v.encode("latin-1")) for n, v in self._pairs()]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``, or ``default``."""
        key = name.lower()
        for n, v in self._pairs():
            if n == key:
                return v
        return default

    def get_bytes(self, name: str) -> bytes | None:
        """The first value of ``name`` as raw bytes, or None."""
        value = self.get(name)
        return None if value is None else value.encode("latin-1")

    def getlist(self, name: str) -> list[str]:
        """Every value of ``name``, in order."""
        key = name.lower()
        return [v for n, v in self._pairs() if n == key]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = name.lower()
        return any(n == key for n, _ in self._pairs())

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for n, _ in self._pairs():
            seen.setdefault(n, None)
        return iter(seen)

    def __len__(self) -> int:
        return len(self._pairs())

    def __bool__(self) -> bool:
        return bool(self._pairs())

    def keys(self) -> list[str]:
        """Distinct header names, lower-cased, in first-seen order."""
        return list(self)

    def items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair in order (names lower-cased)."""
        return list(self._pairs())

    def view(self) -> list[tuple[str, str]]:
        """The pairs themselves, without a copy (PERF: for the writer); do not mutate."""
        return self._pairs()

    def seal(self) -> None:
        """Refuse changes from now on: the response head these headers went into is sent."""
        self._sealed = True

    def _check_open(self) -> None:
        if self._sealed:
            raise StarioError(
                "the response head was already sent; its headers can no longer change",
                help="set headers before respond(), write_headers() or the first write()",
            )

    def set(self, name: str, value: str) -> None:
        """Replace every value of ``name`` with ``value``."""
        self._check_open()
        check_header(name, value)
        key = name.lower()
        items = self._pairs()
        items[:] = [(n, v) for n, v in items if n != key]
        items.append((key, value))

    def add(self, name: str, value: str) -> None:
        """Append a value (for headers that repeat, such as ``set-cookie``)."""
        self._check_open()
        check_header(name, value)
        self._pairs().append((name.lower(), value))

    def setdefault(self, name: str, value: str) -> str:
        """Set ``name`` unless present; return its (first) value."""
        current = self.get(name)
        if current is None:
            self.add(name, value)
            return value
        return current

    def pop(self, name: str, default: str | None = None) -> str | None:
        """Remove every value of ``name``; return the first one or ``default``."""
        self._check_open()
        first = self.get(name)
        if first is None:
            return default
        key = name.lower()
        items = self._pairs()
        items[:] = [(n, v) for n, v in items if n != key]
        return first

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        if self.pop(name) is None:
            raise KeyError(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted(self._pairs()) == sorted(other._pairs())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._pairs()!r})"
