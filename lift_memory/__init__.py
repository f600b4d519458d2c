"""lift-memory: parametric memory for agents and RAG pipelines, trained with LIFT.

from lift_memory import Document, LiftConfig, MemoryStore, ingest, LiftMemory

ingest([Document("notes.txt", text)], "notes")
memory = LiftMemory.load("notes")
print(memory.ask("Who keeps the lighthouse?").text)

The names below are imported on first use (module ``__getattr__``), so ``import lift_memory``
and the light modules (store, manifest, config, errors) cost no torch import.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from lift_memory.lazy_exports import lazy_exports

__version__ = "0.1.0"

# submodule -> the public names it defines, imported on first use
_IMPORT_STRUCTURE: dict[str, list[str]] = {
    "adapters": ["Adapter", "create_adapter", "restore_adapter"],
    "answer": ["Answer", "generate_answer"],
    "config": ["LiftConfig", "LoraSettings"],
    "documents": ["Document"],
    "errors": [
        "AdapterMismatch",
        "CorruptMemory",
        "InvalidMemoryName",
        "LiftMemoryError",
        "MemoryIncomplete",
        "MemoryLocked",
        "ModelNotInstalled",
        "UnknownMemory",
    ],
    "gated_memory": ["GatedMemory", "GatedMemorySettings", "attach_gated_memory"],
    "ingest": ["IngestResult", "ingest"],
    "manifest": ["Manifest"],
    "memory": ["LiftMemory"],
    "model_registry": ["DEFAULT_MODEL"],
    "models": ["LoadedModel", "load_model"],
    "store": ["MemoryStore"],
    "train": ["LiftTrainer", "Stage", "TrainProgress"],
}

__all__ = [
    "DEFAULT_MODEL",
    "Adapter",
    "AdapterMismatch",
    "Answer",
    "CorruptMemory",
    "Document",
    "GatedMemory",
    "GatedMemorySettings",
    "IngestResult",
    "InvalidMemoryName",
    "LiftConfig",
    "LiftMemory",
    "LiftMemoryError",
    "LiftTrainer",
    "LoadedModel",
    "LoraSettings",
    "Manifest",
    "MemoryIncomplete",
    "MemoryLocked",
    "MemoryStore",
    "ModelNotInstalled",
    "Stage",
    "TrainProgress",
    "UnknownMemory",
    "attach_gated_memory",
    "create_adapter",
    "generate_answer",
    "ingest",
    "load_model",
    "restore_adapter",
]

if TYPE_CHECKING:
    from lift_memory.adapters import Adapter, create_adapter, restore_adapter
    from lift_memory.answer import Answer, generate_answer
    from lift_memory.config import LiftConfig, LoraSettings
    from lift_memory.documents import Document
    from lift_memory.errors import (
        AdapterMismatch,
        CorruptMemory,
        InvalidMemoryName,
        LiftMemoryError,
        MemoryIncomplete,
        MemoryLocked,
        ModelNotInstalled,
        UnknownMemory,
    )
    from lift_memory.gated_memory import GatedMemory, GatedMemorySettings, attach_gated_memory
    from lift_memory.ingest import IngestResult, ingest
    from lift_memory.manifest import Manifest
    from lift_memory.memory import LiftMemory
    from lift_memory.model_registry import DEFAULT_MODEL
    from lift_memory.models import LoadedModel, load_model
    from lift_memory.store import MemoryStore
    from lift_memory.train import LiftTrainer, Stage, TrainProgress


__getattr__, __dir__ = lazy_exports(__name__, _IMPORT_STRUCTURE)


class _Package(types.ModuleType):
    """Keeps ``lift_memory.ingest`` the function once the submodule of that name is imported.

    Importing ``lift_memory.ingest`` (the module) binds it as an attribute of this package,
    which would make ``from lift_memory import ingest`` return the module instead of the
    function; the eager ``__init__`` this replaces bound the function last, so it won.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _IMPORT_STRUCTURE.get(name, ()):
            return  # the public name of the same spelling wins over its module
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
