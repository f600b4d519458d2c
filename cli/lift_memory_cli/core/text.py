"""Short text helpers for the messages the service layer and the commands write."""

from __future__ import annotations


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(str(text).split())


def plural(count: int, word: str) -> str:
    """'1 chunk', '2,048 chunks'."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")
