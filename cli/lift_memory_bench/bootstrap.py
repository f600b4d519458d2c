"""Bootstrap confidence intervals of a score over questions.

With a few dozen questions per task a score moves by several points per question, so the report
gives each mean a 95 % interval: resample the questions with replacement, take the mean, and
read the 2.5th and 97.5th percentiles of 1000 such means (the percentile bootstrap). The resampling
is seeded, and depends only on the number of questions, so every method of a run is resampled
with the same question draws. The interval says how much the score could move with another
draw of questions like these; it does not cover other seeds, corpora or training runs.

A mean over tasks resamples within each task (stratified), as the overall score weighs every
task equally whatever its question count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CONFIDENCE_LEVEL = 0.95
# one question resamples to itself: an interval of zero width would claim a certainty it lacks
MIN_QUESTIONS = 2


def stratified_interval(
    groups: Sequence[Sequence[float]],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = CONFIDENCE_LEVEL,
) -> tuple[float, float] | None:
    """The ``level`` percentile-bootstrap interval of the mean of the group means (None
    without resamples, or when a group has fewer than ``MIN_QUESTIONS`` values)."""
    arrays = [np.asarray(group, dtype=float) for group in groups]
    if not arrays or resamples < 1 or any(len(values) < MIN_QUESTIONS for values in arrays):
        return None
    rng = np.random.default_rng(seed)
    means = np.zeros(resamples)
    for values in arrays:
        draws = rng.integers(0, len(values), size=(resamples, len(values)))
        means += values[draws].mean(axis=1)
    means /= len(arrays)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def interval(
    values: Sequence[float],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = CONFIDENCE_LEVEL,
) -> tuple[float, float] | None:
    """The ``level`` percentile-bootstrap interval of the mean of ``values``."""
    return stratified_interval([values], resamples=resamples, seed=seed, level=level)


def relative_drop(values: Sequence[float], reference: Sequence[float]) -> float | None:
    """``1 - mean(values) / mean(reference)``: the share of the reference's score lost (None
    when the reference scores nothing)."""
    base = float(np.mean(reference)) if len(reference) else 0.0
    return 1.0 - float(np.mean(values)) / base if base > 0 else None


def relative_drop_interval(
    values: Sequence[float],
    reference: Sequence[float],
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = CONFIDENCE_LEVEL,
) -> tuple[float, float] | None:
    """The ``level`` interval of :func:`relative_drop`, the two resampled with the same draws
    (paired: ``values[i]`` and ``reference[i]`` answer the same question), so the interval
    reflects how the two differ on the questions, not how hard the questions are. Draws where
    the reference scores nothing are left out."""
    ours, theirs = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    if len(ours) != len(theirs) or len(ours) < MIN_QUESTIONS or resamples < 1:
        return None
    draws = np.random.default_rng(seed).integers(0, len(ours), size=(resamples, len(ours)))
    base = theirs[draws].mean(axis=1)
    kept = base > 0
    if not kept.any():
        return None
    drops = 1.0 - ours[draws].mean(axis=1)[kept] / base[kept]
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(drops, [tail, 100 - tail])
    return float(low), float(high)
