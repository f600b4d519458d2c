"""The arithmetic training runs in: float32, or bfloat16 matrix products where the chip has them.

Under bf16 autocast the weights, the adapter's optimizer state and the residual stream stay
float32; only the matrix products (and what autocast lists with them) run in bfloat16. On a CPU
with AVX512-BF16 units a SmolLM2 ingest then trains ~1.5x more tokens per second at the same
recall; on one without them bfloat16 is emulated and slower, so ``auto`` uses it only where the
units are (docs/lift.md §8, docs/benchmarks.md).

An adapted layer adds its LoRA update to the frozen layer's output. In bfloat16 that sum keeps
8 bits of mantissa, so an update below ~0.4 % of the output rounds away in the forward pass
while its gradient still grows it; here the frozen output is widened to float32 first, so the
sum (and what flows into the float32 residual stream) keeps the update.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from lift_memory.config import LiftConfig, Precision

# training tokens per second in bf16 over float32, the SmolLM2 LoRA of the quality profile on two
# AVX512-BF16 CPU cores: 435 against 288 (docs/benchmarks.md, "Session of 2026-12-05
# (thirteenth)"); for time estimates only
BF16_TRAINING_SPEEDUP = 1.5


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


def uses_bf16(precision: Precision, device: torch.device, adapter_kind: str | None = None) -> bool:
    """Whether a training with this ``precision`` setting (of an ``adapter_kind`` adapter, when
    given) runs its products in bfloat16."""
    if precision == "auto" and adapter_kind == "gated_memory":
        # its update is summed outside peft's layers, where nothing widens it: "auto" keeps
        # the paper's adapter in float32 (bf16 is measured for LoRA only, docs/lift.md §8)
        return False
    return precision == "bf16" or (precision == "auto" and native_bf16(device))


def training_speedup(config: LiftConfig, device: torch.device | None = None) -> float:
    """How many times float32's tokens per second a training with ``config`` is expected to run
    at on ``device`` (the CPU when None): for time estimates only."""
    bf16 = uses_bf16(config.precision, device or torch.device("cpu"), config.adapter)
    return BF16_TRAINING_SPEEDUP if bf16 else 1.0


def _widen(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> torch.Tensor:
    return output.float()


@contextlib.contextmanager
def adapted_sums_in_float32(model: nn.Module) -> Iterator[None]:
    """The frozen output of every PEFT-adapted layer widened to float32 before the update is
    added (peft's LoRA layer casts the sum back to its base output's dtype). Outside an
    autocast the outputs are float32 already and the hooks change nothing."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    handles = [
        module.get_base_layer().register_forward_hook(_widen)
        for module in model.modules()
        if isinstance(module, BaseTunerLayer)
    ]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def training_autocast(
    precision: Precision, device: torch.device, model: nn.Module | None = None
) -> Iterator[None]:
    """The arithmetic training's forward passes (and its probes) run in; with ``model``, its
    adapted layers add their update in float32 (see the module's docstring)."""
    if not uses_bf16(precision, device):
        yield
        return
    widened = adapted_sums_in_float32(model) if model is not None else contextlib.nullcontext()
    with torch.autocast(device.type, dtype=torch.bfloat16), widened:
        yield
