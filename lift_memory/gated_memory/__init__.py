"""The Gated Memory adapter (docs/design.md §1.2): config, layer, attach/detach/save/load.

Names are imported on first use, so ``lift_memory.config`` can read the settings without
importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lift_memory.lazy_exports import lazy_exports

# submodule -> the public names it defines, imported on first use
_IMPORT_STRUCTURE: dict[str, list[str]] = {
    "config": ["GatedMemorySettings"],
    "layer": ["GatedMemoryLayer"],
    "model": [
        "GatedMemory",
        "attach_gated_memory",
        "find_attention_modules",
        "gated_memory_from_tensors",
        "load_gated_memory",
    ],
}

__all__ = [
    "GatedMemory",
    "GatedMemoryLayer",
    "GatedMemorySettings",
    "attach_gated_memory",
    "find_attention_modules",
    "gated_memory_from_tensors",
    "load_gated_memory",
]

if TYPE_CHECKING:
    from lift_memory.gated_memory.config import GatedMemorySettings
    from lift_memory.gated_memory.layer import GatedMemoryLayer
    from lift_memory.gated_memory.model import (
        GatedMemory,
        attach_gated_memory,
        find_attention_modules,
        gated_memory_from_tensors,
        load_gated_memory,
    )


__getattr__, __dir__ = lazy_exports(__name__, _IMPORT_STRUCTURE)
