"""The Gated Memory adapter (DESIGN §1.2): config, layer, attach/detach/save/load."""

from lift_memory.gated_memory.config import GatedMemorySettings
from lift_memory.gated_memory.layer import GatedMemoryLayer
from lift_memory.gated_memory.model import (
    GatedMemory,
    attach_gated_memory,
    find_attention_modules,
    gated_memory_from_tensors,
    load_gated_memory,
)

__all__ = [
    "GatedMemory",
    "GatedMemoryLayer",
    "GatedMemorySettings",
    "attach_gated_memory",
    "find_attention_modules",
    "gated_memory_from_tensors",
    "load_gated_memory",
]
