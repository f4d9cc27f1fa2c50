"""Subject and pattern validation, and what a pattern matches."""

from __future__ import annotations

import pytest

from stario.relay import InvalidSubject, Pattern, Relay, check_subject, matches, parse_pattern


@pytest.mark.parametrize("subject", ["a", "chat.room1", "chat.room1.typing", "é.ü", "a-b_c:d"])
def test_valid_subjects(subject: str) -> None:
    assert check_subject(subject) == subject
    assert Relay[int]().publish(subject, 1) == 0


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("", "empty"),
        (".a", "empty token"),
        ("a.", "empty token"),
        ("a..b", "empty token"),
        ("a b", "whitespace"),
        ("a\tb", "whitespace"),
        ("a\nb", "whitespace"),
        ("a\u3000b", "whitespace"),
        ("a\x00b", "control"),
        ("a.*", "cannot contain '\\*'"),
        ("*", "cannot contain '\\*'"),
        ("a*b", "cannot contain '\\*'"),
    ],
)
def test_invalid_published_subjects(subject: str, reason: str) -> None:
    with pytest.raises(InvalidSubject, match=reason):
        check_subject(subject)
    with pytest.raises(ValueError, match=reason):  # InvalidSubject is a ValueError
        Relay[int]().publish(subject, 1)


def test_non_str_subject_is_refused() -> None:
    with pytest.raises(InvalidSubject, match="must be a str"):
        check_subject(b"a.b")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "parsed"),
    [
        ("a", Pattern("a", None)),
        ("a.b", Pattern("a.b", None)),
        ("a.*", Pattern("a.*", "a")),
        ("a.b.*", Pattern("a.b.*", "a.b")),
        ("*", Pattern("*", "")),
    ],
)
def test_parse_pattern(pattern: str, parsed: Pattern) -> None:
    assert parse_pattern(pattern) == parsed


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("a.*.c", "whole last token"),
        ("*.a", "whole last token"),
        ("a*", "whole last token"),
        ("a.b*", "whole last token"),
        ("**", "whole last token"),
        ("a.**", "whole last token"),
        (".*", "empty"),
        ("a..*", "empty token"),
        ("", "empty"),
        ("a .*", "whitespace"),
    ],
)
def test_invalid_patterns(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidSubject, match=reason):
        parse_pattern(pattern)
    with pytest.raises(InvalidSubject, match=reason):
        Relay[int]().subscribe(pattern)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("a.b", "a.b", True),
        ("a.b", "a.b.c", False),
        ("a.b", "a", False),
        ("a.*", "a.b", True),
        ("a.*", "a.b.c", True),
        ("a.*", "a", False),  # below a, not a itself
        ("a.*", "ab.c", False),  # tokens, not string prefixes
        ("a.*", "b.a", False),
        ("a.b.*", "a.b.c.d", True),
        ("a.b.*", "a.bc", False),
        ("*", "a", True),
        ("*", "a.b.c", True),
    ],
)
def test_matches(pattern: str, subject: str, expected: bool) -> None:
    assert matches(pattern, subject) is expected
    relay = Relay[int]()
    relay.subscribe(pattern)  # dropped at once: the finalizer unsubscribes it
    sub = relay.subscribe(pattern)
    assert relay.publish(subject, 1) == int(expected)
    assert sub.pending == int(expected)
