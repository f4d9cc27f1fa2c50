"""HTML comments whose text can never end the comment early."""

from __future__ import annotations

import re

from stario.html.node import Element
from stario.html.placeholder import Placeholder

__all__ = ["Comment"]

# SECURITY: every sequence that can end or nest a comment ("-->", "--!>", "<!--") holds
# "--", so splitting every run of dashes ("- -") makes the text inert. The padding
# spaces keep text from starting with ">" / "->" or ending with "-" / "<!-".
_DASHES = re.compile(r"-(?=-)")


def Comment(text: str) -> Element:
    """``<!-- text -->``; dash runs in ``text`` are split so it cannot close the comment."""
    if isinstance(text, Placeholder):
        text._stario_refuse("a comment")
    if not isinstance(text, str):
        raise TypeError(f"Comment() takes a str, got {type(text).__name__}")
    return Element(f"<!-- {_DASHES.sub('- ', text)} -->")
