"""The server's loaded models (:class:`ServedModelCache`): one resident copy of each base model,
shared by every memory trained on it, with the memories' adapters swapped per request.

A served model id is a base model, or ``lift:NAME`` for a memory. Every id on the same base model
shares one :class:`ResidentBase`: its weights, its lock (the engine's ``model_lock``, which
training also takes) and the one adapter attached to it right now. A request holds the base's
lock, attaches its memory's adapter if another one is on (:meth:`Served.activate`), answers, and
leaves the adapter on for the next request on that memory. Requests on different base models
run in parallel; requests on one base run one at a time, as they did with a copy per memory.

The resident memory is therefore one base model per distinct base among the served ids, plus
the adapters of the ``max_loaded`` most recently used ids (a Gated Memory is small: a few MB
for SmolLM2-135M). A PiSSA memory rewrote its base weights, so it gets a base copy of its own.
A memory re-ingested since it was loaded (its manifest's ``updated_at`` changed) is loaded
again; the least recently used ids are dropped beyond ``max_loaded``, and a base model with no
served id left is released.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lift_memory.errors import InvalidMemoryName, UnknownMemory
from lift_memory.models import model_lock
from lift_memory_cli.core.base_model import load_base_model
from lift_memory_cli.core.memories import read_complete_manifest
from lift_memory_cli.core.rag_arm import open_rag_arm, rag_info
from lift_memory_cli.server.errors import ApiError, unknown_model

if TYPE_CHECKING:
    import torch
    from llama_index.memory.lift import ChromaRetrievalArm

    from lift_memory.manifest import Manifest
    from lift_memory.memory import LiftMemory
    from lift_memory.models import LoadedModel
    from lift_memory.store import MemoryStore

MEMORY_PREFIX = "lift:"
_PRIVATE_ADAPTERS = frozenset({"pissa"})  # adapters that change the base weights themselves


def memory_name_of(model_id: str) -> str | None:
    """'lift:notes' → 'notes'; None for a base model id."""
    return model_id[len(MEMORY_PREFIX) :] if model_id.startswith(MEMORY_PREFIX) else None


def timestamp(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


@dataclass
class ResidentBase:
    """One loaded base model and the served ids that share it."""

    key: str
    loaded: LoadedModel
    lock: Any
    """The model's lock, held around every use of ``loaded`` (re-entrant)."""
    attached: Served | None = None
    """The served memory whose adapter is on the model now (call with ``lock`` held)."""
    users: dict[int, str] = field(default_factory=dict)
    """The served ids on it, by the ``id()`` of their :class:`Served`."""


@dataclass
class Served:
    """A served model id: a base model, or a memory on a shared base model."""

    model_id: str
    base: ResidentBase
    memory: LiftMemory | None = None
    version: str | None = None
    """The memory manifest's ``updated_at`` when it was loaded."""
    _saved: tuple[dict[str, torch.Tensor], dict[str, str]] | None = field(default=None, repr=False)
    """The adapter's tensors and metadata while it is off the model, to put it back."""
    _retrieval: ChromaRetrievalArm | None = field(default=None, repr=False)

    @property
    def loaded(self) -> LoadedModel:
        return self.base.loaded

    @property
    def lock(self) -> Any:
        return self.base.lock

    def activate(self) -> None:
        """Make this id's adapter (none for a base model) the one on the model (lock held)."""
        current = self.base.attached
        if current is self:
            return
        if current is not None:
            current.take_off()
        if self.memory is not None:
            self._put_on()
            self.base.attached = self

    def take_off(self) -> None:
        """Detach this memory's adapter from the shared model, keeping its weights (lock held)."""
        assert self.memory is not None
        adapter = self.memory.adapter
        self._saved = (adapter.tensors(), adapter.metadata())
        adapter.detach()
        if self.base.attached is self:
            self.base.attached = None

    def _put_on(self) -> None:
        from lift_memory.adapters import restore_adapter

        assert self.memory is not None and self._saved is not None
        tensors, metadata = self._saved
        self.memory.adapter = restore_adapter(self.loaded, tensors, metadata)
        self._saved = None

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
            arm = open_rag_arm(store, manifest.name, info)
            arm.embed_model.get_query_embedding("warm-up")  # load it now, not in a latency
            self._retrieval = arm
        return self._retrieval

    def close(self) -> None:
        """Take the adapter off and release the Chroma client, after in-flight requests."""
        with self.lock:
            if self.memory is not None and self.base.attached is self:
                self.take_off()
            if self._retrieval is not None:
                self._retrieval.close()
                self._retrieval = None


@dataclass
class _Slot:
    load_lock: threading.Lock = field(default_factory=threading.Lock)
    served: Served | None = None


class ServedModelCache:
    """Loads served ids on demand, keeps the ``max_loaded`` most recently used, and shares one
    resident base model between all ids on it."""

    def __init__(self, store: MemoryStore, base_model: str, max_loaded: int = 4) -> None:
        self.store = store
        self.base_model = base_model
        self.max_loaded = max(1, max_loaded)
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._bases: dict[str, ResidentBase] = {}
        self._base_locks: dict[str, threading.Lock] = {}
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
        name = memory_name_of(model_id)
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
        """The served model for ``model_id`` (loaded now if needed); 404 for an unknown one."""
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
            self._release(stale)
        with slot.load_lock:  # concurrent first requests load the model once
            if slot.served is None:
                slot.served = self._load(model_id, manifest)
            served = slot.served
        self._trim()
        return served

    def _base_for(self, key: str, model_id: str, user: int) -> ResidentBase:
        """The resident base model ``key`` (``model_id`` loaded if it is not resident yet),
        with ``user`` (a served id's token) counted among its users from now on."""
        with self._guard:
            load_lock = self._base_locks.setdefault(key, threading.Lock())
        with load_lock:
            with self._guard:
                base = self._bases.get(key)
            if base is None:
                loaded = load_base_model(model_id, self.store.home)
                base = ResidentBase(key, loaded, model_lock(loaded))
            with self._guard:
                self._bases[key] = base
                base.users[user] = model_id
        return base

    def _load(self, model_id: str, manifest: Manifest | None) -> Served:
        token = object()  # holds the base while the memory loads
        if manifest is None:
            base = self._base_for(model_id, model_id, id(token))
            served = Served(model_id, base)
        else:
            private = manifest.adapter_kind in _PRIVATE_ADAPTERS
            key = f"{model_id} (private)" if private else manifest.base_model
            base = self._base_for(key, manifest.base_model, id(token))
            try:
                served = self._load_memory(model_id, manifest, base)
            except BaseException:
                self._drop_user(base, id(token))
                raise
        with self._guard:
            base.users[id(served)] = model_id
        self._drop_user(base, id(token))
        return served

    def _load_memory(self, model_id: str, manifest: Manifest, base: ResidentBase) -> Served:
        from lift_memory.memory import LiftMemory  # the model code (torch)

        with base.lock:  # the model carries one adapter at a time
            if base.attached is not None:
                base.attached.take_off()
            memory = LiftMemory.load(manifest.name, store=self.store, model=base.loaded)
            served = Served(model_id, base, memory=memory, version=memory.manifest.updated_at)
            base.attached = served
        return served

    def _trim(self) -> None:
        dropped: list[Served] = []
        with self._guard:
            while len(self._slots) > self.max_loaded:
                _, slot = self._slots.popitem(last=False)
                if slot.served is not None:
                    dropped.append(slot.served)
        for served in dropped:
            self._release(served)

    def _release(self, served: Served) -> None:
        served.close()
        self._drop_user(served.base, id(served))

    def _drop_user(self, base: ResidentBase, user: int) -> None:
        """Forget ``user`` of ``base``; release the base once nobody uses it."""
        with self._guard:
            base.users.pop(user, None)
            if not base.users and self._bases.get(base.key) is base:
                del self._bases[base.key]

    def evict(self, model_id: str) -> None:
        """Drop a model (a deleted or re-ingested memory), after its in-flight requests."""
        with self._guard:
            slot = self._slots.pop(model_id, None)
        if slot is not None and slot.served is not None:
            self._release(slot.served)

    # --- bookkeeping (tests, /health)
    def loaded_ids(self) -> list[str]:
        with self._guard:
            return [key for key, slot in self._slots.items() if slot.served is not None]

    def resident_bases(self) -> dict[str, list[str]]:
        """Each resident base model and the served ids that share it."""
        with self._guard:
            return {key: sorted(base.users.values()) for key, base in self._bases.items()}
