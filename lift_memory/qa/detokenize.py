"""spaCy tokens back to text: shared by the question writer and the sentence simplifier.

Its own module so that ``simplify`` (imported by ``facts``) need not import ``fact_questions``,
which imports ``facts``: no import cycle (tests/test_layering.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token


def detokenize(tokens: Iterable[Token]) -> str:
    """Tokens back to text with the original spacing, spaces collapsed, none before punctuation."""
    parts: list[str] = []
    previous = None
    for t in tokens:
        if previous is not None and t.i != previous.i + 1 and not parts[-1].endswith(" "):
            parts.append(" ")  # tokens were removed in between: keep the words apart
        parts.append(t.text + t.whitespace_)
        previous = t
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    return re.sub(r"\s+([,.;:!?%)]|'s\b|’s\b|n't\b)", r"\1", text).strip(" ,;:")
