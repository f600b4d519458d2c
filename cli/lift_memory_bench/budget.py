"""A matched trainable-parameter budget for the LoRA / PiSSA adapter ablation.

The Gated Memory's size is counted by attaching one (then taking it off again); a LoRA of rank r
on the linear layers ``targets`` names, in the decoder layers it adapts, has ``r · Σ (in + out)``
parameters, so the rank that comes closest to the Gated Memory's count is
``round(gated / Σ (in + out))`` (at least 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from lift_memory.adapters import lora_target_modules
from lift_memory.config import LiftConfig, LoraSettings
from lift_memory.gated_memory import attach_gated_memory
from lift_memory.models import LoadedModel, decoder_layers
from lift_memory_bench.variants import matched_placement


@dataclass(frozen=True)
class ParameterBudget:
    gated_memory_params: int
    lora_rank: int
    lora_params: int
    lora_params_per_rank: int

    def to_json(self) -> dict[str, int]:
        return {
            "gated_memory_params": self.gated_memory_params,
            "lora_rank": self.lora_rank,
            "lora_params": self.lora_params,
            "lora_params_per_rank": self.lora_params_per_rank,
        }


def gated_memory_parameters(loaded: LoadedModel, config: LiftConfig) -> int:
    """Trainable parameters of the Gated Memory ``config`` describes, on this model."""
    memory = attach_gated_memory(loaded.model, config.gated_memory)
    try:
        return memory.trainable_parameters()
    finally:
        memory.detach()


def lora_parameters_per_rank(model: nn.Module, settings: LoraSettings) -> int:
    """Σ (in_features + out_features) over the linear layers a LoRA with ``settings`` adapts."""
    names = set(lora_target_modules(model, settings.target_modules))
    layers = decoder_layers(model)
    return sum(
        module.in_features + module.out_features
        for index in settings.chosen_layers(len(layers))
        for name, module in layers[index].named_modules()
        if isinstance(module, nn.Linear) and name.rsplit(".", 1)[-1] in names
    )


def matched_budget(loaded: LoadedModel, config: LiftConfig) -> ParameterBudget:
    """The LoRA rank whose parameter count is closest to the Gated Memory's."""
    gated = gated_memory_parameters(loaded, config)
    per_rank = lora_parameters_per_rank(loaded.model, matched_placement(config))
    rank = max(1, round(gated / per_rank)) if per_rank else 1
    return ParameterBudget(gated, rank, rank * per_rank, per_rank)
