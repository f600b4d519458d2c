"""Which relevance rule a routing calibration was made with (light: no torch, no LlamaIndex core).

A calibration's threshold holds only for the features it was measured on. When the features
change meaning, this number goes up: a memory calibrated under an older rule is recalibrated by
``lift-memory ingest NAME --resume`` (and by the bench), and ``info`` says so meanwhile.

- 1: similarity to the corpus chunks; entities found anywhere in the corpus's words.
- 2: a question's names count only where the corpus writes them as names; possessives name the
  same thing; the pronoun "I" is no name (docs/architecture.md, relevance routing).
"""

from __future__ import annotations

RELEVANCE_RULE_VERSION = 2
UNVERSIONED_RULE = 1  # calibrations recorded before the rule had a number


def calibrated_rule(info: dict) -> int:
    """The rule a recorded calibration (a manifest's ``extra["routing"]``) was made with."""
    rule = info.get("relevance_rule", UNVERSIONED_RULE)
    return rule if isinstance(rule, int) else UNVERSIONED_RULE


def is_current(info: dict) -> bool:
    return calibrated_rule(info) == RELEVANCE_RULE_VERSION
