"""Answer metrics (SQuAD-style normalisation) and the aggregates the report shows.

- exact match: the normalized answer equals a normalized gold answer;
- token F1: the best token-overlap F1 against any gold answer;
- contains: the normalized answer contains a normalized gold answer (generous to chatty models);
- multiple-choice accuracy: the option with the highest log-likelihood is the gold one
  (computed in ``likelihood.py``; robust for small models whose free text rambles).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence

from lift_memory_cli.report import contains_gold, normalize

METRICS = ("exact_match", "f1", "contains", "mc_accuracy")


def exact_match(answer: str, gold: Sequence[str]) -> float:
    found = normalize(answer)
    return float(any(found == normalize(g) for g in gold if normalize(g)))


def token_f1(answer: str, gold: Sequence[str]) -> float:
    """The best SQuAD token F1 of ``answer`` against any gold answer."""
    predicted = normalize(answer).split()
    best = 0.0
    for reference in gold:
        expected = normalize(reference).split()
        if not predicted or not expected:
            continue
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common == 0:
            continue
        precision, recall = common / len(predicted), common / len(expected)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains(answer: str, gold: Sequence[str]) -> float:
    return float(bool(contains_gold(answer, list(gold))))


def answer_scores(answer: str, gold: Sequence[str]) -> dict[str, float]:
    """exact_match, f1 and contains of one answer."""
    return {
        "exact_match": exact_match(answer, gold),
        "f1": token_f1(answer, gold),
        "contains": contains(answer, gold),
    }


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100), linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
