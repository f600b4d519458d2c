"""Attach Gated Memory layers to a decoder, detach them, save and load their weights.

Attachment uses two hooks per attention module and copies no attention code: a forward hook on
``q_proj`` keeps the pre-rotary query, a forward pre-hook on ``o_proj`` blends the concatenated
head outputs with the memory before the output projection. Any decoder whose attention modules
expose ``q_proj`` and ``o_proj`` works (Llama, Qwen2, Mistral, Gemma …); grouped-query attention
is fine because the memory works on query heads.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from torch import nn
from torch.utils.hooks import RemovableHandle

from lift_memory.atomic import atomic_save_safetensors
from lift_memory.errors import AdapterMismatch, CorruptMemory
from lift_memory.gated_memory.config import GatedMemorySettings
from lift_memory.gated_memory.layer import GatedMemoryLayer

ADAPTER_KIND = "gated_memory"
_SUBMODULE = "gated_memory"


def find_attention_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Attention modules in layer order: those with Linear ``q_proj`` and ``o_proj``."""
    found = []
    for name, module in model.named_modules():
        q_proj, o_proj = getattr(module, "q_proj", None), getattr(module, "o_proj", None)
        if isinstance(q_proj, nn.Linear) and isinstance(o_proj, nn.Linear):
            found.append((name, module))
    if not found:
        raise ValueError(
            f"{type(model).__name__} has no attention modules with q_proj/o_proj; "
            "Gated Memory supports Llama-, Qwen2-, Mistral- and Gemma-style decoders"
        )
    return found


def _head_geometry(model: nn.Module, attention: nn.Module) -> tuple[int, int]:
    config = getattr(model, "config", None)
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    num_heads = getattr(text_config, "num_attention_heads", None)
    head_dim = getattr(attention, "head_dim", None)
    if num_heads is None or head_dim is None:
        head_dim = head_dim or attention.o_proj.in_features // num_heads
    if num_heads * head_dim != attention.q_proj.out_features:
        raise ValueError(
            f"q_proj has {attention.q_proj.out_features} outputs, expected heads×head_dim = "
            f"{num_heads}×{head_dim}"
        )
    return num_heads, head_dim


class GatedMemory(nn.Module):
    """The memory and gate weights of every adapted layer, plus the hooks that use them."""

    def __init__(self, settings: GatedMemorySettings, layers: dict[int, GatedMemoryLayer]) -> None:
        super().__init__()
        self.settings = settings
        self.layers = nn.ModuleDict({str(index): layer for index, layer in layers.items()})
        self._handles: list[RemovableHandle] = []
        self._attached_to: list[nn.Module] = []

    # --- statistics
    def reset_gate_stats(self) -> None:
        for layer in self.layers.values():
            layer.reset_gate_stats()

    def mean_gate(self) -> float | None:
        """Mean gate value over all adapted layers, heads and tokens since the last reset."""
        total = sum(layer._gate_sum for layer in self.layers.values())
        count = sum(layer._gate_count for layer in self.layers.values())
        return total / count if count else None

    def gate_penalty(self) -> torch.Tensor | None:
        """Sum over layers of the mean gate of the last forward pass (differentiable)."""
        gates = [layer.last_gate for layer in self.layers.values() if layer.last_gate is not None]
        if not gates:
            return None
        return torch.stack([gate.abs().mean() for gate in gates]).sum()

    def gate_by_layer(self) -> dict[int, float]:
        return {
            int(index): value
            for index, layer in self.layers.items()
            if (value := layer.mean_gate()) is not None
        }

    @contextlib.contextmanager
    def disabled(self) -> Iterator[None]:
        """Run the base model as if no memory were attached (hooks pass through)."""
        previous = [layer.active for layer in self.layers.values()]
        for layer in self.layers.values():
            layer.active = False
        try:
            yield
        finally:
            for layer, was_active in zip(self.layers.values(), previous, strict=True):
                layer.active = was_active

    @contextlib.contextmanager
    def scaled_gate(self, factor: float) -> Iterator[None]:
        """Every gate multiplied by ``factor`` in [0, 1] while inside (soft relevance routing)."""
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"gate factor must be within [0, 1], got {factor}")
        previous = [layer.gate_multiplier for layer in self.layers.values()]
        for layer in self.layers.values():
            layer.gate_multiplier = float(factor)
        try:
            yield
        finally:
            for layer, was in zip(self.layers.values(), previous, strict=True):
                layer.gate_multiplier = was

    # --- lifecycle
    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def detach(self) -> None:
        """Remove the hooks and submodules; the base model is exactly as before."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for attention in self._attached_to:
            if _SUBMODULE in attention._modules:
                del attention._modules[_SUBMODULE]
        self._attached_to.clear()

    def trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # --- persistence: memory and gate weights only, never the base model
    def save(self, path: Path | str, metadata: dict[str, str] | None = None) -> int:
        """Write ``adapter.safetensors`` atomically; returns its size in bytes."""
        meta = {
            "adapter_kind": ADAPTER_KIND,
            "settings": self.settings.model_dump_json(),
            "geometry": json.dumps(self.geometry()),
        }
        meta.update(metadata or {})
        tensors = {key: value.detach() for key, value in self.state_dict().items()}
        atomic_save_safetensors(Path(path), tensors, meta)
        return Path(path).stat().st_size

    def geometry(self) -> dict[str, list[int]]:
        return {
            index: [layer.num_heads, layer.head_dim, layer.w1.shape[-1]]
            for index, layer in self.layers.items()
        }


def attach_gated_memory(
    model: nn.Module, settings: GatedMemorySettings | None = None
) -> GatedMemory:
    """Add a Gated Memory to the chosen layers of ``model`` (all by default) and hook it in."""
    settings = settings or GatedMemorySettings()
    attentions = find_attention_modules(model)
    chosen = settings.chosen_layers(len(attentions))
    layers: dict[int, GatedMemoryLayer] = {}
    parameter = next(model.parameters())
    for index in chosen:
        if not 0 <= index < len(attentions):
            raise ValueError(f"layer {index} out of range: the model has {len(attentions)}")
        _, attention = attentions[index]
        if _SUBMODULE in attention._modules:
            raise ValueError("this model already carries a Gated Memory; detach it first")
        num_heads, head_dim = _head_geometry(model, attention)
        layer = GatedMemoryLayer(
            num_heads, head_dim, settings.hidden_multiplier, settings.gate_bias_init
        ).to(device=parameter.device, dtype=torch.float32)
        layers[index] = layer
    memory = GatedMemory(settings, layers)
    for index, layer in layers.items():
        _, attention = attentions[index]
        attention.add_module(_SUBMODULE, layer)
        memory._attached_to.append(attention)
        memory._handles.append(attention.q_proj.register_forward_hook(_keep_query(layer)))
        memory._handles.append(attention.o_proj.register_forward_pre_hook(_blend_memory(layer)))
    return memory


def _keep_query(layer: GatedMemoryLayer):
    def hook(_module: nn.Module, _args: tuple, output: torch.Tensor) -> None:
        layer._query = output if layer.active else None

    return hook


def _blend_memory(layer: GatedMemoryLayer):
    def hook(_module: nn.Module, args: tuple) -> tuple | None:
        query, layer._query = layer._query, None
        if query is None:
            return None
        return (layer.blend(query, args[0]), *args[1:])

    return hook


def load_gated_memory(
    model: nn.Module, path: Path | str, base_fingerprint: str | None = None
) -> GatedMemory:
    """Attach a saved Gated Memory to ``model``; refuses files for other shapes or base models."""
    try:
        raw = Path(path).read_bytes()
        tensors = load_safetensors_bytes(raw)
        metadata = _read_metadata(raw)
    except (SafetensorError, OSError, ValueError) as error:
        raise CorruptMemory(f"cannot read adapter {path}: {error}") from error
    return gated_memory_from_tensors(model, tensors, metadata, base_fingerprint, source=str(path))


def gated_memory_from_tensors(
    model: nn.Module,
    tensors: dict[str, torch.Tensor],
    metadata: dict[str, str],
    base_fingerprint: str | None = None,
    source: str = "adapter",
) -> GatedMemory:
    """Attach a Gated Memory rebuilt from saved tensors and their safetensors metadata."""
    if metadata.get("adapter_kind") != ADAPTER_KIND:
        raise AdapterMismatch(f"{source} is a '{metadata.get('adapter_kind')}' adapter")
    saved_fp = metadata.get("base_fingerprint")
    if base_fingerprint and saved_fp and saved_fp != base_fingerprint:
        raise AdapterMismatch(
            f"{source} was trained on base model {metadata.get('base_model', '?')} "
            f"(fingerprint {saved_fp}), not on the loaded one ({base_fingerprint})"
        )
    try:
        saved = json.loads(metadata["settings"])
        # adapters saved before `top_layers` existed had memory in every layer
        saved.setdefault("top_layers", None)
        settings = GatedMemorySettings.model_validate(saved)
    except (KeyError, ValueError, TypeError) as error:
        raise CorruptMemory(f"{source} has unreadable settings metadata") from error
    memory = attach_gated_memory(model, settings)
    expected = {key: tuple(value.shape) for key, value in memory.state_dict().items()}
    found = {key: tuple(value.shape) for key, value in tensors.items()}
    if expected != found:
        memory.detach()
        raise AdapterMismatch(
            f"{source} does not fit this base model (layer or head shapes differ)"
        )
    memory.load_state_dict(tensors)
    return memory


def _read_metadata(raw: bytes) -> dict[str, str]:
    # safetensors header: 8-byte little-endian length, then JSON with an optional __metadata__.
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])
    return dict(header.get("__metadata__") or {})
