"""Where a base model runs and in which dtype: ``--device`` and ``--dtype``.

``auto`` picks CUDA when there is a GPU, and bfloat16 on a GPU that supports it (float32
elsewhere: bfloat16 matrix products are slow on most CPUs). The adapter itself always trains in
float32 on top of the base; a base model's fingerprint does not depend on its dtype, so a memory
ingested in bfloat16 answers on a float32 base and back.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lift_memory_cli.core.errors import ServiceError

if TYPE_CHECKING:
    import torch

DTYPES = ("auto", "float32", "bfloat16", "float16")
_DTYPE_ALIASES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16"}
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device(device: str | None) -> str | None:
    """``device`` if it names a device kind lift-memory can place a model on."""
    if device is not None and not _DEVICE.fullmatch(device):
        raise ServiceError(f"unknown device '{device}'; use auto, cpu, cuda, cuda:N or mps")
    return device


def check_dtype(dtype: str) -> str:
    """The canonical name of ``dtype`` (bf16 → bfloat16…)."""
    name = _DTYPE_ALIASES.get(dtype.lower(), dtype.lower())
    if name not in DTYPES:
        raise ServiceError(f"unknown dtype '{dtype}'; use {', '.join(DTYPES)} (or bf16, fp16)")
    return name


def resolve_device(device: str | None) -> str:
    """The device to load on: ``auto`` (or None) is CUDA when available; a missing one fails."""
    import torch

    name = check_device(device) or "auto"
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ServiceError(f"--device {name}: no CUDA GPU is visible to torch")
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ServiceError(
                f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) are visible"
            )
    if name == "mps" and not torch.backends.mps.is_available():
        raise ServiceError("--device mps: the Apple GPU (MPS) is not available")
    return name


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    """The torch dtype for ``dtype`` on ``device`` (``auto``: bfloat16 where the GPU has it)."""
    import torch

    name = check_dtype(dtype)
    on_cuda = device.startswith("cuda")
    if name == "auto":
        name = "bfloat16" if on_cuda and torch.cuda.is_bf16_supported() else "float32"
    if name == "float16" and not on_cuda:
        raise ServiceError("--dtype float16 needs a CUDA device (use bfloat16 or float32)")
    if name == "bfloat16" and on_cuda and not torch.cuda.is_bf16_supported():
        raise ServiceError("--dtype bfloat16: this GPU does not support it (use float16)")
    return getattr(torch, name)
