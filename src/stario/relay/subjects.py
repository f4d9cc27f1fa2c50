"""Subjects and patterns: what they may look like and which subjects a pattern matches.

A subject is dot-separated tokens (``chat.room1.typing``). A pattern is either an
exact subject, ``prefix.*`` (every subject *below* ``prefix``: ``prefix.a`` and
``prefix.a.b``, but not ``prefix`` itself) or ``*`` alone (every subject). ``*`` is
allowed nowhere else: not inside a token (``a*``) and not in the middle (``a.*.c``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from stario.relay.errors import InvalidSubject

__all__ = ["Pattern", "below", "check_subject", "covers", "matches", "parse_pattern", "prefixes"]

WILDCARD = "*"
_BELOW = ".*"


class Pattern(NamedTuple):
    """A checked pattern.

    ``text`` is the pattern as written. ``prefix`` is ``None`` for an exact subject,
    otherwise the subject everything below which matches: ``"a.b"`` for ``a.b.*`` and
    ``""`` for ``*``.
    """

    text: str
    prefix: str | None


def _token_problem(text: str) -> str | None:
    """What is wrong with ``text`` as dotted tokens without wildcards, or None."""
    if not text:
        return "it is empty"
    # str.isprintable() is False for control characters and for every Unicode space
    # except U+0020, which the second test catches.
    if not text.isprintable() or " " in text:
        return "it contains whitespace or a control character"
    if text[0] == "." or text[-1] == "." or ".." in text:
        return "it has an empty token (a leading, trailing or doubled dot)"
    return None


def check_subject(subject: str) -> str:
    """Return ``subject`` if it is a valid published subject, else raise ``InvalidSubject``.

    ``*`` is refused: wildcards belong in ``subscribe()`` patterns, not in messages.
    """
    if type(subject) is not str:
        raise InvalidSubject(subject, f"it must be a str, not {type(subject).__name__}")
    problem = _token_problem(subject)
    if problem is None and WILDCARD in subject:
        problem = "a published subject cannot contain '*'; wildcards are for subscribe()"
    if problem is not None:
        raise InvalidSubject(subject, problem)
    return subject


def parse_pattern(pattern: str) -> Pattern:
    """Check a subscription pattern and say how it matches; raise ``InvalidSubject`` if bad."""
    if type(pattern) is not str:
        raise InvalidSubject(pattern, f"it must be a str, not {type(pattern).__name__}")
    if pattern == WILDCARD:
        return Pattern(pattern, "")
    below = pattern.endswith(_BELOW)
    body = pattern[: -len(_BELOW)] if below else pattern
    problem = _token_problem(body)
    if problem is None and WILDCARD in body:
        problem = "'*' may only be the whole last token ('a.*') or the whole pattern ('*')"
    if problem is not None:
        raise InvalidSubject(pattern, problem)
    return Pattern(pattern, body if below else None)


def below(prefix: str) -> str:
    """The pattern matching everything below ``prefix``: ``prefix.*``, or ``*`` for ``""``."""
    return f"{prefix}{_BELOW}" if prefix else WILDCARD


def prefixes(subject: str) -> Iterator[str]:
    """Every prefix a ``prefix.*`` pattern could match ``subject`` below, shortest first.

    ``"a.b.c"`` gives ``""`` (for ``*``), ``"a"`` and ``"a.b"`` — never the subject itself.
    """
    yield ""
    end = subject.find(".")
    while end != -1:
        yield subject[:end]
        end = subject.find(".", end + 1)


def covers(pattern: Pattern, subject: str) -> bool:
    """``matches`` for a parsed pattern, without checking ``subject``."""
    prefix = pattern.prefix
    if prefix is None:
        return subject == pattern.text
    return prefix == "" or subject.startswith(prefix + ".")


def matches(pattern: str, subject: str) -> bool:
    """True when a message on ``subject`` reaches a subscription to ``pattern``.

    Both are checked first, so a malformed one raises ``InvalidSubject``.
    """
    parsed = parse_pattern(pattern)
    return covers(parsed, check_subject(subject))
