"""Data-parallel LIFT training over processes started by ``accelerate launch`` (docs/design.md §8).

Every process builds the same plan of batches (it is fixed by the seed). Each optimizer step
takes one global batch, as a single process would; process ``r`` of ``n`` runs samples
``r, r + n, …`` of it, then the gradients are summed over processes weighted by each one's count
of loss tokens and divided by the total, which is the gradient of the global batch's per-token
mean loss. The step's loss and token count are reduced the same way, in the same collective, so
every process clips and steps identical gradients and keeps an identical adapter. Only the main
process writes (store, checkpoints); the others wait for it where they need its files.

Accelerate picks the backend: gloo on CPU, nccl on GPUs. Under
``accelerate launch --mixed_precision bf16`` the forward passes run under bf16 autocast on CUDA.
The CPU/gloo path is tested; the GPU/nccl/bf16 path is not (no GPU where this was written).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from lift_memory.prompts import IGNORE_INDEX, TrainingSample

__all__ = ["DataParallel", "launched_world_size", "loss_weight"]


def launched_world_size() -> int:
    """Processes in this run according to the launcher's environment (1 when not launched)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def loss_weight(inputs: dict[str, torch.Tensor], per_position: bool) -> int:
    """How many terms the batch's mean loss averages: labelled next tokens for cross-entropy,
    every attended position for the retention KL (``per_position``)."""
    if per_position:
        return int(inputs["attention_mask"].sum())
    return int((inputs["labels"][:, 1:] != IGNORE_INDEX).sum())


@dataclass
class DataParallel:
    """This process's place in a data-parallel run, and the collectives training needs."""

    index: int
    world_size: int
    device: torch.device
    mixed_precision: str = "no"
    _state: Any = None

    @classmethod
    def from_environment(cls) -> DataParallel | None:
        """The run ``accelerate launch`` (or torchrun) started, or None for a single process.

        Call it before loading the model: on GPUs it selects this process's device.
        """
        if launched_world_size() <= 1:
            return None
        from accelerate import PartialState

        # Accelerate only chooses gloo for CPU processes when told they are CPU processes.
        state = PartialState(cpu=not torch.cuda.is_available())
        precision = os.environ.get("ACCELERATE_MIXED_PRECISION", "no")
        return cls(state.process_index, state.num_processes, state.device, precision, state)

    @property
    def is_main(self) -> bool:
        return self.index == 0

    def shard(self, batch: Sequence[TrainingSample]) -> tuple[list[TrainingSample], bool]:
        """This process's samples of a global batch, and whether it has any.

        A process left without a sample (a batch smaller than the world) still runs the first
        one, so that every process takes part in the step, and contributes with weight 0.
        """
        mine = list(batch[self.index :: self.world_size])
        return (mine, True) if mine else ([batch[0]], False)

    def sync_step(
        self,
        parameters: Sequence[torch.nn.Parameter],
        loss: torch.Tensor,
        inputs: dict[str, torch.Tensor],
        *,
        per_position: bool,
        active: bool = True,
    ) -> tuple[torch.Tensor, int]:
        """After ``backward``: make every process's gradients those of the global batch.

        Returns the global batch's mean loss and its token count. One all-reduce carries the
        weighted gradients, the weights, the weighted losses and the token counts.
        """
        weight = loss_weight(inputs, per_position) if active else 0
        tokens = int(inputs["attention_mask"].sum()) if active else 0
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in parameters]
        stats = torch.tensor(
            [float(weight), float(loss.detach()) * weight, float(tokens)],
            dtype=torch.float32,
            device=loss.device,
        )
        flat = torch.cat([g.detach().float().reshape(-1) * weight for g in grads] + [stats])
        torch.distributed.all_reduce(flat, op=torch.distributed.ReduceOp.SUM)
        total, weighted_loss, all_tokens = flat[-3:].tolist()
        scale = 1.0 / total if total > 0 else 0.0
        offset = 0
        for parameter in parameters:
            count = parameter.numel()
            parameter.grad = (
                (flat[offset : offset + count] * scale).view_as(parameter).to(parameter.dtype)
            )
            offset += count
        mean_loss = torch.tensor(weighted_loss * scale, device=loss.device)
        return mean_loss, int(all_tokens)

    def autocast(self) -> contextlib.AbstractContextManager[None]:
        """bf16 autocast on CUDA when the launcher asked for it; otherwise nothing."""
        if self.mixed_precision == "bf16" and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def wait(self) -> None:
        """Barrier: every process reaches this point before any goes on."""
        torch.distributed.barrier()
