"""The arithmetic training runs in: float32, or bfloat16 matrix products where the chip has them.

Under bf16 autocast the weights, the adapter's optimizer state and the residual stream stay
float32; only the matrix products (and what autocast lists with them) run in bfloat16. On a CPU
with AVX512-BF16 or AMX units that makes a SmolLM2 training step ~2.5x faster; on one without
them bfloat16 is emulated and slower, so ``auto`` uses it only where the units are
(docs/lift.md §8, docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib

import torch

from lift_memory.config import Precision


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 matrix products in hardware."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        # torch.cpu exposes the CPU's features only through private helpers; a torch without
        # them is treated as a CPU without the units
        probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)
    return False


def uses_bf16(precision: Precision, device: torch.device) -> bool:
    """Whether a training with this ``precision`` setting runs its products in bfloat16."""
    return precision == "bf16" or (precision == "auto" and native_bf16(device))


def training_autocast(
    precision: Precision, device: torch.device
) -> contextlib.AbstractContextManager[None]:
    """The autocast context training's forward passes (and its probes) run in."""
    if uses_bf16(precision, device):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
