"""The trainings a benchmark run needs, and the LiftConfig of each.

Several methods share one training (LIFT, LIFT + truncated ICL and the hybrid router all use the
``lift`` memory), so a run trains each variant at most once:

- ``lift``: the profile's LiftConfig as it is;
- ``lift-no-qa``: no auxiliary QA (``qa_generator="none"``);
- ``lift-no-ctx``: no contextualized training (``contextualized=False``);
- ``lora`` / ``pissa``: the same LIFT recipe with a PEFT adapter instead of the Gated Memory, in
  the same decoder layers, at a rank that matches the Gated Memory's trainable parameters
  (``budget.py``), with its own learning rate (1e-2 suits a freshly initialised memory, not LoRA
  factors).
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal, get_args

from lift_memory.config import LiftConfig, LoraSettings

Variant = Literal["lift", "lift-no-qa", "lift-no-ctx", "lora", "pissa"]
VARIANTS: tuple[Variant, ...] = get_args(Variant)


def variant_config(
    base: LiftConfig, variant: Variant, *, lora_rank: int = 16, peft_learning_rate: float = 2e-3
) -> LiftConfig:
    """The LiftConfig that trains ``variant``, derived from the profile's ``base``."""
    if variant == "lift":
        return base
    if variant == "lift-no-qa":
        return base.model_copy(update={"qa_generator": "none", "qa_count": 0})
    if variant == "lift-no-ctx":
        return base.model_copy(update={"contextualized": False})
    lora = matched_placement(base).model_copy(
        update={"rank": lora_rank, "alpha": 2 * lora_rank}  # alpha = 2r: rank-independent scale
    )
    return base.model_copy(
        update={"adapter": variant, "lora": lora, "learning_rate": peft_learning_rate}
    )


def matched_placement(base: LiftConfig) -> LoraSettings:
    """The profile's LoRA settings, placed in the decoder layers the Gated Memory adapts.

    The ablation then differs from LIFT in the module only (parameters matched in budget.py),
    and trains as fast (the frozen layers below are replayed, not recomputed). An explicit
    Gated Memory layer list cannot be expressed as "top K": the LoRA then adapts every layer.
    """
    memory = base.gated_memory
    top_layers = memory.top_layers if memory.layers is None else None
    return base.lora.model_copy(update={"top_layers": top_layers})


def variant_memory_name(
    variant: Variant, config: LiftConfig, corpus_sha: str, fingerprint: str
) -> str:
    """A store name that changes whenever the training would: config, corpus or base model.

    A later run with the same --out reuses a finished memory instead of training it again.
    """
    key = json.dumps(
        {"config": config.model_dump(mode="json"), "corpus": corpus_sha, "model": fingerprint},
        sort_keys=True,
    )
    return f"bench-{variant}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
