"""Text layout helpers that keep character offsets intact.

Wire copy is often hard-wrapped at ~65 characters, with paragraphs marked by a blank line
or an indented first line. Line breaks inside a paragraph would break sentences and
paragraph-based pronoun linking, so they become spaces — one character for one, so that
every offset in the coded text is an offset in the original article.
"""

from __future__ import annotations

import re
from statistics import median

WRAPPED_LINE_LENGTH = 90
MIN_WRAPPED_LINES = 3
_INNER_BREAK = re.compile(r"(?<=[^\n])\n(?=[^\s])")


def is_hard_wrapped(text: str) -> bool:
    lengths = [len(line) for line in text.split("\n") if line.strip()]
    return len(lengths) >= MIN_WRAPPED_LINES and median(lengths) <= WRAPPED_LINE_LENGTH


def unwrap_lines(text: str) -> str:
    """``text`` with in-paragraph line breaks turned into spaces (same length, same offsets)."""
    if not is_hard_wrapped(text):
        return text
    return _INNER_BREAK.sub(" ", text)
