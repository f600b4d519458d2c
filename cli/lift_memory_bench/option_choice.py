"""Free-text scores of a question that names its own options (``scored_by_choice``).

"Which happened first: Orvel Tamsk crossing the Vesk Sea, or Brin Kald founding the Kell
Guild?" names both candidates, so an answer that merely echoes the question "contains" the gold
one. Such an answer is scored by the option it *picks*: the one candidate it names (whole words,
the engine's normalisation). An answer naming both candidates or neither picks nothing and is
wrong, even when it happens to be a correct sentence naming both ("A, before B") — the price of
a rule that an echo cannot pass; ``text_choice`` in report.json shows what each answer picked.
"""

from __future__ import annotations

from collections.abc import Sequence

from lift_memory.scoring import contains_gold, exact_match, token_f1


def named_options(answer: str, options: Sequence[str]) -> list[int]:
    """Indexes of the options ``answer`` names (as whole words)."""
    return [index for index, option in enumerate(options) if contains_gold(answer, [option])]


def chosen_option(answer: str, options: Sequence[str]) -> int | None:
    """The option ``answer`` picks: the only one it names; None when it names several or none."""
    named = named_options(answer, options)
    return named[0] if len(named) == 1 else None


def choice_scores(
    answer: str, gold: Sequence[str], options: Sequence[str], gold_option: int
) -> dict[str, float | int | None]:
    """exact_match, f1 and contains of an answer that must pick ``options[gold_option]``: contains
    is "picked the gold option", F1 counts only then (an echo shares the gold words too)."""
    choice = chosen_option(answer, options)
    picked_gold = choice == gold_option
    return {
        "exact_match": exact_match(answer, gold),
        "f1": token_f1(answer, gold) if picked_gold else 0.0,
        "contains": float(picked_gold),
        "text_choice": choice,
    }
