"""How much a memory disturbs ordinary text: perplexity with the memory on vs off, per genre.

Each text of ``unrelated_texts.UNRELATED_TEXTS`` is read as plain text by the base model
(once per run) and by each method with its adapter attached; the ratio per text says how much
the memory leaks into that genre (1.0 = no damage). The summary is the mean ratio over the
texts, the worst one, and every text's figures.
"""

from __future__ import annotations

import statistics
from typing import Any

from lift_memory.adapters import Adapter
from lift_memory.models import LoadedModel
from lift_memory_bench.likelihood import perplexity
from lift_memory_bench.unrelated_texts import UNRELATED_TEXTS


def text_perplexities(
    loaded: LoadedModel, *, adapter: Adapter | None = None, use_memory: bool = True
) -> dict[str, float]:
    """The perplexity of every unrelated text, by genre."""
    return {
        genre: perplexity(loaded, text, adapter=adapter, use_memory=use_memory)
        for genre, text in UNRELATED_TEXTS.items()
    }


def perplexity_damage(with_memory: dict[str, float], base: dict[str, float]) -> dict[str, Any]:
    """Mean and worst ratio over the texts, and each text's perplexities and ratio."""
    by_text = {
        genre: {
            "perplexity": with_memory[genre],
            "without_memory": base[genre],
            "ratio": with_memory[genre] / base[genre],
        }
        for genre in base
    }
    ratios = [row["ratio"] for row in by_text.values()]
    return {
        "perplexity": statistics.fmean(with_memory[g] for g in base),
        "perplexity_without_memory": statistics.fmean(base.values()),
        "perplexity_ratio": statistics.fmean(ratios),  # the mean over genres
        "perplexity_ratio_max": max(ratios),
        "perplexity_by_text": by_text,
    }
