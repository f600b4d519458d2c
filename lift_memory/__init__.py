"""lift-memory: parametric memory for agents and RAG pipelines, trained with LIFT.

from lift_memory import Document, LiftConfig, MemoryStore, ingest, LiftMemory

ingest([Document("notes.txt", text)], "notes")
memory = LiftMemory.load("notes")
print(memory.ask("Who keeps the lighthouse?").text)
"""

from lift_memory.adapters import Adapter, create_adapter, restore_adapter
from lift_memory.answer import Answer, generate_answer
from lift_memory.config import LiftConfig, LoraSettings
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
from lift_memory.models import DEFAULT_MODEL, LoadedModel, load_model
from lift_memory.segments import Document
from lift_memory.store import MemoryStore
from lift_memory.train import LiftTrainer, Stage, TrainProgress

__version__ = "0.1.0"

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
