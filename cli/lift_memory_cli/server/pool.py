"""The server's loaded models: an LRU cache with one lock per loaded model.

Every served model id — a base model, or ``lift:NAME`` for a memory — gets its own loaded copy
of its base model (a Gated Memory is attached to the model's attention modules, so two memories
cannot share one copy at the same time). Requests on one model queue on its lock (the engine's
``model_lock``, which training also takes); requests on different models run in parallel. A
memory that was re-ingested since it was loaded (its manifest's ``updated_at`` changed) is loaded
again; the least recently used models are dropped beyond ``max_loaded``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lift_memory_cli.context import (
    open_memory,
    rag_info,
    read_complete_manifest,
    retrieval_arm,
)
from lift_memory_cli.server.errors import ApiError, unknown_model

if TYPE_CHECKING:
    from llama_index.memory.lift import ChromaRetrievalArm

    from lift_memory import LiftMemory, LoadedModel, Manifest, MemoryStore

MEMORY_PREFIX = "lift:"


def memory_name(model_id: str) -> str | None:
    """'lift:notes' → 'notes'; None for a base model id."""
    return model_id[len(MEMORY_PREFIX) :] if model_id.startswith(MEMORY_PREFIX) else None


def timestamp(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


@dataclass
class Served:
    """A loaded model the server answers with: a base model, or a memory on its base model."""

    model_id: str
    loaded: LoadedModel
    memory: LiftMemory | None = None
    version: str | None = None
    """The memory manifest's ``updated_at`` when it was loaded."""
    lock: Any = None
    """Held around every use of ``loaded`` (re-entrant: the answering code takes it again)."""
    _retrieval: ChromaRetrievalArm | None = field(default=None, repr=False)

    def retrieval(self, store: MemoryStore) -> ChromaRetrievalArm:
        """The memory's Chroma arm, opened on first use (call with ``lock`` held)."""
        if self._retrieval is None:
            assert self.memory is not None
            manifest = self.memory.manifest
            info = rag_info(manifest)
            if info is None:
                raise ApiError(
                    400,
                    f"memory '{manifest.name}' has no retrieval arm (ingested without rag); "
                    "use lift_mode memory",
                    code="no_retrieval_arm",
                    param="lift_mode",
                )
            arm = retrieval_arm(store, manifest.name, info)
            arm.embed_model.get_query_embedding("warm-up")  # load it now, not in a latency
            self._retrieval = arm
        return self._retrieval

    def close(self) -> None:
        """Release the Chroma client once in-flight requests on this model are done."""
        with self.lock:
            if self._retrieval is not None:
                self._retrieval.close()
                self._retrieval = None


@dataclass
class _Slot:
    load_lock: threading.Lock = field(default_factory=threading.Lock)
    served: Served | None = None


class ModelPool:
    """Loads served models on demand and keeps the ``max_loaded`` most recently used."""

    def __init__(self, store: MemoryStore, base_model: str, max_loaded: int = 4) -> None:
        self.store = store
        self.base_model = base_model
        self.max_loaded = max(1, max_loaded)
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._guard = threading.Lock()

    # --- what can be served
    def memories(self) -> list[Manifest]:
        """Complete memories, sorted by name."""
        return [m for m in self.store.list() if m.status == "complete"]

    def base_models(self) -> list[str]:
        """The server's base model, then those the memories were trained on."""
        models = [self.base_model]
        for manifest in self.memories():
            if manifest.base_model not in models:
                models.append(manifest.base_model)
        return models

    def manifest_of(self, model_id: str) -> Manifest | None:
        """The manifest behind ``lift:NAME`` (None for a base model); 404 if neither exists."""
        from lift_memory.errors import InvalidMemoryName, UnknownMemory

        name = memory_name(model_id)
        if name is None:
            if model_id not in self.base_models():
                raise unknown_model(model_id)
            return None
        try:
            return read_complete_manifest(self.store, name)
        except (UnknownMemory, InvalidMemoryName):
            raise unknown_model(model_id) from None

    # --- loading
    def get(self, model_id: str) -> Served:
        """The loaded model for ``model_id`` (loaded now if needed); 404 for an unknown one."""
        manifest = self.manifest_of(model_id)
        version = manifest.updated_at if manifest is not None else None
        stale: Served | None = None
        with self._guard:
            slot = self._slots.get(model_id)
            if slot is None or (slot.served is not None and slot.served.version != version):
                stale = slot.served if slot is not None else None
                slot = _Slot()
                self._slots[model_id] = slot
            self._slots.move_to_end(model_id)
        if stale is not None:
            stale.close()
        with slot.load_lock:  # concurrent first requests load the model once
            if slot.served is None:
                slot.served = self._load(model_id, manifest)
            served = slot.served
        self._trim()
        return served

    def _load(self, model_id: str, manifest: Manifest | None) -> Served:
        from lift_memory.consolidate import model_lock

        if manifest is None:
            from lift_memory_cli.context import load_base_model

            loaded = load_base_model(model_id, self.store.home)
            return Served(model_id, loaded, lock=model_lock(loaded))
        opened = open_memory(self.store, manifest.name, need_retrieval=False)
        loaded = opened.memory.loaded
        return Served(
            model_id,
            loaded,
            memory=opened.memory,
            version=opened.memory.manifest.updated_at,
            lock=model_lock(loaded),
        )

    def _trim(self) -> None:
        dropped: list[Served] = []
        with self._guard:
            while len(self._slots) > self.max_loaded:
                _, slot = self._slots.popitem(last=False)
                if slot.served is not None:
                    dropped.append(slot.served)
        for served in dropped:
            served.close()

    def evict(self, model_id: str) -> None:
        """Drop a model (a deleted or re-ingested memory), after its in-flight requests."""
        with self._guard:
            slot = self._slots.pop(model_id, None)
        if slot is not None and slot.served is not None:
            slot.served.close()

    def loaded_ids(self) -> list[str]:
        with self._guard:
            return [key for key, slot in self._slots.items() if slot.served is not None]
