"""How often the retention text goes into stage 2 (``LiftConfig.retention_share``).

Stage 2 holds the corpus's segments, statements and QA pairs, which grow with the corpus, and the
retention samples, which do not: once per epoch they are ~6 % of a 1k-token corpus's stage 2
and ~2 % of a 6k-token one's. Repeating them keeps their weight as the corpus grows. A module of
its own, free of torch, so the training-token estimate shares it.
"""

from __future__ import annotations

import math


def retention_repeats(retention_tokens: int, other_tokens: int, share: float | None) -> int:
    """How many times the retention samples go into stage 2 so that they are at least
    ``share`` of its tokens: at least once, and once when ``share`` is None."""
    if share is None or share <= 0 or retention_tokens <= 0:
        return 1
    needed = share / (1.0 - share) * other_tokens  # retention / (retention + other) >= share
    return max(1, math.ceil(needed / retention_tokens))
