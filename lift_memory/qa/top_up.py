"""Combine two generators: take what the primary delivers, fill the rest from a fallback.

A small model or a flaky endpoint rarely yields ``n`` verified pairs; the cloze generator
always can, so LIFT's QA stage gets its full budget either way.
"""

from __future__ import annotations

from lift_memory.qa.base import QAGenerator, QAPair
from lift_memory.qa.parsing import question_key


class TopUpQAGenerator:
    """``primary`` first (up to ``n``), then ``fallback`` pairs with new questions, up to ``n``."""

    def __init__(self, primary: QAGenerator, fallback: QAGenerator) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = f"{primary.name}+{fallback.name}"

    def generate(self, text: str, n: int) -> list[QAPair]:
        if n <= 0:
            return []
        chosen: list[QAPair] = []
        seen: set[str] = set()
        for pair in self.primary.generate(text, n):
            key = question_key(pair.question)
            if key not in seen and len(chosen) < n:
                seen.add(key)
                chosen.append(pair)
        if len(chosen) >= n:
            return chosen
        # Ask the fallback for the full n: some of its questions may duplicate the primary's.
        for pair in self.fallback.generate(text, n):
            if len(chosen) >= n:
                break
            key = question_key(pair.question)
            if key not in seen:
                seen.add(key)
                chosen.append(pair)
        return chosen
