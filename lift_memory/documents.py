"""The unit of input: one text and where it came from."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Document"]


@dataclass(frozen=True)
class Document:
    """One input text and where it came from (a path, a URL, "stdin", a chat …)."""

    source: str
    text: str
