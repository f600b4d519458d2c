"""Answer metrics and the aggregates the report shows.

The text scores are the engine's (``lift_memory.scoring``, SQuAD-style normalisation):

- exact match: the normalized answer equals a normalized gold answer;
- token F1: the best token-overlap F1 against any gold answer;
- contains: the normalized answer contains a normalized gold answer as whole words (generous to
  chatty models);
- questions that name their own options (timelines) score exact match, F1 and contains by the
  option the answer picks instead (``option_choice.py``): an echo of the question names both;
- multiple-choice accuracy: the option with the highest log-likelihood is the gold one
  (computed in ``likelihood.py``; robust for small models whose free text rambles).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

from lift_memory.scoring import contains_gold, exact_match, token_f1
from lift_memory_bench.option_choice import choice_scores
from lift_memory_bench.tasks.question import BenchQuestion

METRICS = ("exact_match", "f1", "contains", "mc_accuracy")
__all__ = [
    "METRICS",
    "answer_scores",
    "contains",
    "exact_match",
    "mean",
    "percentile",
    "question_scores",
    "token_f1",
]


def contains(answer: str, gold: Sequence[str]) -> float:
    return float(bool(contains_gold(answer, gold)))


def answer_scores(answer: str, gold: Sequence[str]) -> dict[str, float]:
    """exact_match, f1 and contains of one answer."""
    return {
        "exact_match": exact_match(answer, gold),
        "f1": token_f1(answer, gold),
        "contains": contains(answer, gold),
    }


def question_scores(answer: str, question: BenchQuestion) -> dict[str, float | int | None]:
    """The free-text scores of one answer to ``question`` (by option chosen where it names them)."""
    if question.scored_by_choice:
        return choice_scores(answer, question.answers, question.options, question.gold_option)
    return answer_scores(answer, question.answers)


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
