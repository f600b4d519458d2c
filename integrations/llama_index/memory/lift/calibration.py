"""Calibrating relevance routing: which score kind, and which threshold, separate the questions a
memory should answer (in scope: its own training questions) from those it should leave to the
base model (out of scope: generic prompts and real questions on other topics).

The threshold keeps at most ``max_out_of_scope_rate`` of the out-of-scope questions from the
memory; where it can still let ``min_in_scope_rate`` of the in-scope ones through, as few
out-of-scope ones as possible, else as many in-scope ones as it can (:func:`choose_threshold`);
it sits in the widest such gap between measured scores, a quarter of the way from its
out-of-scope end (:data:`GAP_POSITION`), a margin for questions that were not measured. The separation is reported as a rank-based
ROC AUC (the Mann-Whitney statistic; ties count half).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.memory.lift.relevance import (
    SCORE_KINDS,
    RelevanceFeatures,
    RelevanceScorer,
    ScoreKind,
    relevance_score,
)
from llama_index.memory.lift.relevance_rule import RELEVANCE_RULE_VERSION, UNVERSIONED_RULE

from lift_memory.manifest import utc_now_iso

# Half the 1 % that the retention target allows (docs/benchmarks.md, routing): a threshold set
# at exactly 1 % on ~200 questions lets a new sample through at about that rate, over the target
# one time in two (measured: 1.0 % of 690 unseen real questions at 1 %, 0.6 % at 0.5 %).
DEFAULT_MAX_OUT_OF_SCOPE_RATE = 0.005
DEFAULT_MIN_IN_SCOPE_RATE = 0.95
# Where in the chosen gap the threshold sits, from its out-of-scope end. Not the middle: the
# out-of-scope sample stands for new out-of-scope questions, but the training questions (written
# from the corpus's own sentences) sit closer to the corpus than a user's questions will.
GAP_POSITION = 0.25
MIN_SOFT_WIDTH = 0.02


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """P(a random positive scores above a random negative), ties counting half; None if either
    side is empty."""
    if not positives or not negatives:
        return None
    scores = np.asarray([*positives, *negatives], dtype=float)
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # average 1-based rank of each distinct value: the last rank of its run minus half the ties
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = average_rank[inverse]
    n_pos, n_neg = len(positives), len(negatives)
    rank_sum = float(ranks[:n_pos].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def choose_threshold(
    in_scope: Sequence[float],
    out_of_scope: Sequence[float],
    max_out_of_scope_rate: float = DEFAULT_MAX_OUT_OF_SCOPE_RATE,
    min_in_scope_rate: float = DEFAULT_MIN_IN_SCOPE_RATE,
) -> float:
    """The threshold (score >= threshold: memory), in a gap between measured scores at
    :data:`GAP_POSITION`. Retention first: where one lets at least ``min_in_scope_rate`` of the in-scope
    questions through within ``max_out_of_scope_rate``, the fewest out-of-scope ones, then the
    most in-scope ones; otherwise the most in-scope ones within ``max_out_of_scope_rate``.
    Remaining ties: the widest gap (the largest margin for questions not measured)."""
    if not out_of_scope:
        raise ValueError("calibration needs out-of-scope questions")
    values = sorted(set([*in_scope, *out_of_scope]))
    # candidate thresholds: below everything, in every gap, above everything
    candidates = [(values[0] - 1e-6, 0.0), (values[-1] + 1e-6, 0.0)]
    candidates += [
        (low + GAP_POSITION * (high - low), high - low) for low, high in pairwise(values)
    ]
    best_key: tuple[float, ...] | None = None
    best = candidates[0][0]
    for threshold, gap in candidates:
        inside = share_at_or_above(in_scope, threshold)
        outside = share_at_or_above(out_of_scope, threshold)
        if outside > max_out_of_scope_rate + 1e-9:
            continue
        if inside >= min_in_scope_rate:
            key = (1.0, -outside, inside, gap)
        else:
            key = (0.0, inside, -outside, gap)
        if best_key is None or key > best_key:
            best_key, best = key, threshold
    return best


def share_at_or_above(scores: Sequence[float], threshold: float) -> float:
    return sum(score >= threshold for score in scores) / len(scores) if scores else 0.0


class RoutingCalibration(BaseModel):
    """What ``ingest`` records in the manifest's ``extra["routing"]``."""

    score_kind: ScoreKind
    threshold: float = Field(description="score >= threshold: the memory answers.")
    auc: float | None = Field(description="ROC AUC of the chosen kind, in vs out of scope.")
    auc_by_kind: dict[str, float | None] = Field(default_factory=dict)
    in_scope_rate: float = Field(description="Share of in-scope questions routed to the memory.")
    out_of_scope_rate: float = Field(
        description="Share of out-of-scope questions routed to the memory."
    )
    in_scope_count: int
    out_of_scope_count: int
    out_of_scope_sources: dict[str, int] = Field(default_factory=dict)
    max_out_of_scope_rate: float = DEFAULT_MAX_OUT_OF_SCOPE_RATE
    min_in_scope_rate: float = DEFAULT_MIN_IN_SCOPE_RATE
    soft_width: float = Field(
        default=MIN_SOFT_WIDTH,
        description="Soft scaling: the gate ramps from 0 at threshold - width to 1 at + width.",
    )
    relevance_rule: int = Field(
        default=UNVERSIONED_RULE,
        description="The relevance rule the scores were measured with (relevance_rule.py).",
    )
    in_scope_median: float | None = None
    out_of_scope_median: float | None = None
    calibrated_at: str = Field(default_factory=utc_now_iso)

    def describe(self) -> str:
        auc = "-" if self.auc is None else f"{self.auc:.3f}"
        return (
            f"{self.score_kind} >= {self.threshold:.3f} → memory; ROC AUC {auc}; "
            f"in scope {self.in_scope_rate:.0%} of {self.in_scope_count}, out of scope "
            f"{self.out_of_scope_rate:.0%} of {self.out_of_scope_count} routed to the memory"
        )


def _kinds(features: Sequence[RelevanceFeatures]) -> tuple[ScoreKind, ...]:
    has_gate = all(f.gate is not None for f in features)
    return tuple(k for k in SCORE_KINDS if k != "gate" or has_gate)


def calibrate_from_features(
    in_scope: Sequence[RelevanceFeatures],
    out_of_scope: Sequence[RelevanceFeatures],
    *,
    max_out_of_scope_rate: float = DEFAULT_MAX_OUT_OF_SCOPE_RATE,
    min_in_scope_rate: float = DEFAULT_MIN_IN_SCOPE_RATE,
    out_of_scope_sources: dict[str, int] | None = None,
) -> RoutingCalibration:
    """The best-separating score kind (first of :data:`SCORE_KINDS` on ties) and its threshold."""
    if not in_scope or not out_of_scope:
        raise ValueError("calibration needs in-scope and out-of-scope questions")
    scores = {
        kind: (
            [relevance_score(f, kind) for f in in_scope],
            [relevance_score(f, kind) for f in out_of_scope],
        )
        for kind in _kinds([*in_scope, *out_of_scope])
    }
    aucs = {kind: roc_auc(*pair) for kind, pair in scores.items()}
    kind = max(aucs, key=lambda k: (aucs[k] or 0.0, -SCORE_KINDS.index(k)))
    inside, outside = scores[kind]
    threshold = choose_threshold(inside, outside, max_out_of_scope_rate, min_in_scope_rate)
    in_median, out_median = float(np.median(inside)), float(np.median(outside))
    return RoutingCalibration(
        score_kind=kind,
        threshold=threshold,
        auc=aucs[kind],
        auc_by_kind=aucs,
        in_scope_rate=share_at_or_above(inside, threshold),
        out_of_scope_rate=share_at_or_above(outside, threshold),
        in_scope_count=len(inside),
        out_of_scope_count=len(outside),
        out_of_scope_sources=dict(out_of_scope_sources or {}),
        max_out_of_scope_rate=max_out_of_scope_rate,
        min_in_scope_rate=min_in_scope_rate,
        soft_width=max(MIN_SOFT_WIDTH, (in_median - out_median) / 4.0),
        relevance_rule=RELEVANCE_RULE_VERSION,
        in_scope_median=in_median,
        out_of_scope_median=out_median,
    )


def calibrate_relevance(
    scorer: RelevanceScorer,
    in_scope: Sequence[str],
    out_of_scope: Sequence[str],
    *,
    max_out_of_scope_rate: float = DEFAULT_MAX_OUT_OF_SCOPE_RATE,
    out_of_scope_sources: dict[str, int] | None = None,
) -> RoutingCalibration:
    """Score every question with ``scorer`` (the gate too, for a Gated Memory) and calibrate."""
    with_gate = scorer.memory.adapter.kind == "gated_memory"
    inside = scorer.features_of_many(in_scope, with_gate=with_gate)
    outside = scorer.features_of_many(out_of_scope, with_gate=with_gate)
    return calibrate_from_features(
        inside,
        outside,
        max_out_of_scope_rate=max_out_of_scope_rate,
        out_of_scope_sources=out_of_scope_sources,
    )
