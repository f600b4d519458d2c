"""A benchmark question: gold answers (any one counts) and multiple-choice options.

Every task generator builds its questions with :func:`make_question`, which shuffles the
options with the generator's own seeded stream. A question whose text names its own options
("Which happened first: A …, or B …?") is ``scored_by_choice``: its free-text answer counts by
the option it picks, not by containing the gold answer (``option_choice.py``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from lift_memory_bench.names import TaskName

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class BenchQuestion:
    """A question with its gold answers (any one counts) and multiple-choice options."""

    id: str
    task: TaskName
    question: str
    answers: tuple[str, ...]
    options: tuple[str, ...]
    gold_option: int
    scored_by_choice: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.gold_option < len(self.options):
            raise ValueError(f"{self.id}: gold option {self.gold_option} out of range")


def make_question(
    rng: random.Random,
    qid: str,
    task: TaskName,
    question: str,
    answer: str,
    distractors: list[str],
    *,
    extra_answers: tuple[str, ...] = (),
    scored_by_choice: bool = False,
) -> BenchQuestion:
    """A question whose options are the answer and ``distractors`` in a seeded random order."""
    options = [answer, *[d for d in dict.fromkeys(distractors) if d != answer]]
    rng.shuffle(options)
    return BenchQuestion(
        id=qid,
        task=task,
        question=question,
        answers=(answer, *extra_answers),
        options=tuple(options),
        gold_option=options.index(answer),
        scored_by_choice=scored_by_choice,
    )
