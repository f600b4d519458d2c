"""The optimizer that trains an adapter: AdamW, with LoRA+ learning rates when configured.

LoRA+ (Hayou et al., arXiv 2402.12354) gives a LoRA's B factors a larger learning rate than its
A factors: B starts at zero, so with one rate the update B A grows slowly in the first steps.
Each parameter group carries an ``lr_scale``; the trainer's schedule sets every group's rate to
the scheduled rate times it, so the ratio holds through warm-up and decay.
"""

from __future__ import annotations

import torch

from lift_memory.adapters import Adapter, PeftAdapter
from lift_memory.config import LiftConfig


def adapter_optimizer(adapter: Adapter, config: LiftConfig) -> torch.optim.AdamW:
    """AdamW over ``adapter``'s parameters, the B factors at ``lora.loraplus_lr_ratio`` times
    the learning rate when it is set (LoRA and PiSSA only)."""
    parameters = list(adapter.parameters())
    ratio = config.lora.loraplus_lr_ratio
    if ratio is None:
        groups = [{"params": parameters, "lr_scale": 1.0}]
    else:
        if not isinstance(adapter, PeftAdapter):
            raise ValueError("lora.loraplus_lr_ratio needs a LoRA or PiSSA adapter")
        fast = {id(p) for p in adapter.b_factors()}
        groups = [
            {"params": [p for p in parameters if id(p) not in fast], "lr_scale": 1.0},
            {"params": [p for p in parameters if id(p) in fast], "lr_scale": ratio},
        ]
    for group in groups:
        group["lr"] = config.learning_rate * group["lr_scale"]
    return torch.optim.AdamW(groups, lr=config.learning_rate, weight_decay=config.weight_decay)


def set_learning_rate(optimizer: torch.optim.Optimizer, learning_rate: float) -> None:
    """Every group at ``learning_rate`` times its own ``lr_scale``."""
    for group in optimizer.param_groups:
        group["lr"] = learning_rate * group.get("lr_scale", 1.0)
