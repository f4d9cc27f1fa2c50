"""Property: for any patterns and subjects, delivery equals a reference matcher."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from stario.relay import Relay, matches

# Tokens that share string prefixes ("a", "ab") catch matching on strings instead of tokens.
tokens = st.sampled_from(["a", "ab", "b", "c1"])
subjects = st.lists(tokens, min_size=1, max_size=4).map(".".join)
patterns = st.one_of(
    subjects,
    subjects.map(lambda s: s + ".*"),
    st.just("*"),
)
subscriptions = st.lists(st.lists(patterns, min_size=1, max_size=4), min_size=1, max_size=8)


def reference(pattern: str, subject: str) -> bool:
    """Matching defined on token lists, independently of the relay's code."""
    if pattern == "*":
        return True
    wanted, got = pattern.split("."), subject.split(".")
    if wanted[-1] == "*":
        wanted = wanted[:-1]
        return len(got) > len(wanted) and got[: len(wanted)] == wanted
    return got == wanted


@given(patterns, subjects)
def test_matches_agrees_with_reference(pattern: str, subject: str) -> None:
    assert matches(pattern, subject) is reference(pattern, subject)


async def _deliveries(
    pattern_sets: list[list[str]], published: list[str]
) -> tuple[list[int], list[list[tuple[str, int]]]]:
    relay = Relay[int](maxsize=len(published) + 1)
    subs = [relay.subscribe(*ps) for ps in pattern_sets]
    counts = [relay.publish(subject, n) for n, subject in enumerate(published)]
    received = [
        [(m.subject, m.data) for m in [await anext(s) for _ in range(s.pending)]] for s in subs
    ]
    return counts, received


@settings(max_examples=300, deadline=None)
@given(subscriptions, st.lists(subjects, max_size=25))
def test_delivery_equals_reference(pattern_sets: list[list[str]], published: list[str]) -> None:
    counts, received = asyncio.run(_deliveries(pattern_sets, published))
    for ps, got in zip(pattern_sets, received, strict=True):
        expected = [(s, n) for n, s in enumerate(published) if any(reference(p, s) for p in ps)]
        assert got == expected  # each matching message once, in publish order
    for n, subject in enumerate(published):
        assert counts[n] == sum(any(reference(p, subject) for p in ps) for ps in pattern_sets)
