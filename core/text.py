"""Small text rules shared by every app."""

from __future__ import annotations

import unicodedata


def single_line(value: str) -> str:
    """``value`` on one line: every run of whitespace (line breaks, tabs, the Unicode line and
    paragraph separators) becomes one space, and other control characters (NUL, escapes) go.
    Titles and e-mail subjects use it, so that no title can split a header or a list row.
    Format characters (the zero-width non-joiner of Persian or Hindi text) are kept."""
    cleaned = "".join(
        " " if ch.isspace() else ch
        for ch in str(value)
        if ch.isspace() or unicodedata.category(ch) != "Cc"
    )
    return " ".join(cleaned.split())
