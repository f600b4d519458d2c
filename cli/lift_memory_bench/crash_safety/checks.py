"""The store after a kill: leftovers, memories that must be intact, and comparing a resumed
memory with the uninterrupted reference (tiny model, loaded in the harness's own process)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lift_memory_cli.core.rag_arm import rag_info

from lift_memory_bench.crash_safety.workload import QUESTIONS


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(home: Path, memory: str | None = None) -> list[str]:
    """Temp files, staging/tombstone directories, checkpoints of complete memories and
    unfinished replacements, in the store (or for one memory)."""
    root = home / "memories" / memory if memory else home / "memories"
    found = []
    for path in root.rglob("*"):
        name = path.name
        litter = name.endswith(".tmp") or name.startswith((".staging-", ".deleted-"))
        stale = name == "checkpoints" and '"complete"' in _read(path.parent / "manifest.json")
        if litter or stale:
            found.append(str(path.relative_to(home)))
    replacements = home / ".staging"  # `ingest --overwrite`'s new memories, before their swap
    if replacements.is_dir():
        found += [
            str(path.relative_to(home))
            for path in replacements.iterdir()
            if memory is None or path.name == memory
        ]
    return sorted(found)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


@dataclass
class Checker:
    """Loads memories in this process (tiny model) to compare them with the reference."""

    home: Path
    loaded: Any = None
    reference_tensors: dict[str, Any] = field(default_factory=dict)
    reference_answers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        import torch

        from lift_memory.store import MemoryStore
        from lift_memory.tiny import tiny_model

        torch.set_num_threads(1)
        self.store = MemoryStore(self.home)
        self.loaded = tiny_model("llama")

    def answers(self, name: str) -> list[str]:
        from lift_memory.memory import LiftMemory

        memory = LiftMemory.load(name, store=self.store, model=self.loaded)
        try:
            return [memory.ask(q, max_new_tokens=16).text for q in QUESTIONS]
        finally:
            memory.detach()

    def set_reference(self, name: str) -> None:
        self.reference_tensors, _ = self.store.load_adapter(name, self.loaded.fingerprint)
        self.reference_answers = self.answers(name)

    def adapter_difference(self, name: str, reference: dict[str, Any] | None = None) -> float:
        """Largest absolute difference to the reference adapter (or to ``reference``)."""
        reference = self.reference_tensors if reference is None else reference
        tensors, _ = self.store.load_adapter(name, self.loaded.fingerprint)
        if tensors.keys() != reference.keys():
            return float("inf")
        return max(float((tensors[k].float() - reference[k].float()).abs().max()) for k in tensors)

    def snapshot(self) -> dict[str, str]:
        """Digest of manifest + adapter of every complete memory."""
        digests = {}
        for manifest in self.store.list():
            if manifest.status == "complete":
                directory = self.store.path(manifest.name)
                digests[manifest.name] = file_digest(directory / "manifest.json") + file_digest(
                    directory / "adapter.safetensors"
                )
        return digests

    def state(self, name: str) -> str:
        """absent | incomplete | complete | complete+rag, after checking it loads if complete."""
        if not self.store.exists(name):
            return "absent"
        manifest = self.store.read_manifest(name)  # raises CorruptMemory: the check fails
        if manifest.status != "complete":
            return "incomplete"
        self.store.load_adapter(name, self.loaded.fingerprint)
        return "complete+rag" if rag_info(manifest) else "complete"

    def problems(self, before: dict[str, str]) -> list[str]:
        """What is wrong with the store: unreadable memories, changed or lost complete ones."""
        found = [f"{p.name}: {p.message}" for p in self.store.list_problems()]
        after = self.snapshot()
        for name, digest in before.items():
            if name not in after:
                found.append(f"{name}: was complete, now missing or incomplete")
            elif after[name] != digest:
                found.append(f"{name}: manifest or adapter changed")
            else:
                try:
                    self.store.load_adapter(name, self.loaded.fingerprint)
                except Exception as error:  # the check reports, never raises
                    found.append(f"{name}: does not load ({error})")
        return found
