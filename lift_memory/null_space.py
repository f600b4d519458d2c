"""Keep a LoRA's update out of the directions generic inputs use (null-space training).

A memory trained on a corpus's questions also changes its answers to unrelated questions: every
memory the quality profile measured lost about a third of the base model's right answers on the
generic probes, whatever retention text it trained with (docs/benchmarks.md). A LoRA changes a
linear layer's output by ``B A x``; where ``A x`` is zero for the inputs ``x`` of unrelated text,
the layer answers them as the base model does. Null-space editing (AlphaEdit, arXiv 2410.02355)
finds those inputs' principal directions and keeps the update orthogonal to them.

Here the directions come from the base model's activations on the retention samples (generic
prompts with its own answers, generic and self-written passages), per adapted module: the
eigenvectors of their uncentred second moment that hold ``share`` of its energy. After every
optimizer step each ``A`` is projected onto their complement, so the saved memory carries the
constraint and answers without it (docs/engine.md, "generic_null_space").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from lift_memory.batches import collate
from lift_memory.models import LoadedModel
from lift_memory.prompts import TrainingSample


def lora_modules(model: nn.Module) -> dict[str, nn.Module]:
    """The model's LoRA layers by name (PEFT's ``LoraLayer``)."""
    from peft.tuners.lora import LoraLayer

    return {name: m for name, m in model.named_modules() if isinstance(m, LoraLayer)}


@torch.no_grad()
def input_second_moments(
    loaded: LoadedModel, samples: list[TrainingSample], batch_size: int = 8
) -> dict[str, torch.Tensor]:
    """Per LoRA module, ``sum x xᵀ`` over the inputs ``x`` it sees at the non-padding positions
    of ``samples``. Call with the adapter switched off: the base model's activations."""
    modules = lora_modules(loaded.model)
    moments: dict[str, torch.Tensor] = {}
    mask: list[torch.Tensor] = []  # the current batch's non-padding positions, flattened

    def recorder(name: str):  # noqa: ANN202 - a forward pre-hook
        def record(_module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
            x = inputs[0].reshape(-1, inputs[0].shape[-1])[mask[0]].double()
            moments[name] = moments.get(name, 0) + x.T @ x

        return record

    hooks = [m.register_forward_pre_hook(recorder(n)) for n, m in modules.items()]
    pad_id = loaded.tokenizer.pad_token_id or 0
    try:
        for start in range(0, len(samples), batch_size):
            inputs = collate(samples[start : start + batch_size], pad_id, loaded.device)
            mask[:] = [inputs["attention_mask"].reshape(-1).bool()]
            loaded.model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
    finally:
        for hook in hooks:
            hook.remove()
    return moments


def complement_projector(moment: torch.Tensor, share: float) -> tuple[torch.Tensor, int]:
    """``I - U Uᵀ`` for the fewest top eigenvectors ``U`` of ``moment`` holding ``share`` of its
    trace, and how many there are."""
    values, vectors = torch.linalg.eigh(moment)  # ascending
    values, vectors = values.flip(0).clamp(min=0), vectors.flip(1)
    held = values.cumsum(0) / values.sum().clamp(min=1e-30)
    count = min(int((held < share).sum()) + 1, len(values))
    top = vectors[:, :count]
    return torch.eye(len(values), dtype=moment.dtype) - top @ top.T, count


@dataclass
class NullSpaceProjection:
    """The projectors that keep each LoRA ``A`` orthogonal to generic inputs' main directions."""

    projectors: dict[str, torch.Tensor] = field(default_factory=dict)
    # how many input directions each module's update may not use
    removed: dict[str, int] = field(default_factory=dict)
    # the LoRA modules fitted, looked up once: apply() runs after every optimizer step
    modules: dict[str, nn.Module] = field(default_factory=dict)

    @classmethod
    def fit(
        cls, loaded: LoadedModel, samples: list[TrainingSample], share: float
    ) -> NullSpaceProjection:
        """From the base model's activations on ``samples`` (call with the adapter off)."""
        projection = cls(modules=lora_modules(loaded.model))
        for name, moment in input_second_moments(loaded, samples).items():
            projector, count = complement_projector(moment, share)
            projection.projectors[name] = projector.float()
            projection.removed[name] = count
        return projection

    @torch.no_grad()
    def apply(self) -> None:
        """Project every fitted LoRA module's ``A`` in place: ``A <- A (I - U Uᵀ)``."""
        for name, projector in self.projectors.items():
            for lora_a in self.modules[name].lora_A.values():
                weight = lora_a.weight
                weight.copy_((weight.float() @ projector.to(weight.device)).to(weight.dtype))

    @property
    def mean_removed(self) -> float:
        return sum(self.removed.values()) / max(1, len(self.removed))
