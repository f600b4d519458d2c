"""A stored memory, loaded onto its base model and ready to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lift_memory.adapters import Adapter, restore_adapter
from lift_memory.answer import Answer, generate_answer, passages_context, truncated_context
from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.documents import Document
from lift_memory.errors import AdapterMismatch
from lift_memory.manifest import Manifest
from lift_memory.memory_files import read_corpus
from lift_memory.models import LoadedModel, load_model
from lift_memory.store import MemoryStore

ContextMode = Literal["none", "truncated", "passages"]


@dataclass
class LiftMemory:
    """A memory attached to its base model: ``ask`` answers with it, or without it for A/B."""

    manifest: Manifest
    loaded: LoadedModel
    adapter: Adapter
    documents: list[Document]

    @classmethod
    def load(
        cls,
        name: str,
        *,
        store: MemoryStore | None = None,
        model: LoadedModel | None = None,
    ) -> LiftMemory:
        """Load memory ``name``; ``model`` reuses an already loaded base model."""
        store = store or MemoryStore()
        manifest = store.read_manifest(name)
        loaded = model or load_model(manifest.base_model, home=store.home)
        if loaded.fingerprint != manifest.base_fingerprint:
            # Fingerprints, not just ids: the same id can name changed weights (a local path).
            raise AdapterMismatch(
                f"memory '{name}' was trained on base model '{manifest.base_model}' "
                f"(fingerprint {manifest.base_fingerprint[:12]}), but the loaded model "
                f"'{loaded.model_id}' has fingerprint {loaded.fingerprint[:12]}; load it on the "
                f"model it was trained on, or ingest it again with --overwrite"
            )
        tensors, metadata = store.load_adapter(name, loaded.fingerprint, base_model=loaded.model_id)
        adapter = restore_adapter(loaded, tensors, metadata)
        return cls(manifest, loaded, adapter, read_corpus(store.path(name)))

    @property
    def corpus(self) -> str:
        return "\n\n".join(d.text for d in self.documents)

    def ask(
        self,
        question: str,
        *,
        context: ContextMode = "none",
        passages: list[str] | None = None,
        window: int | None = None,
        use_memory: bool = True,
        max_new_tokens: int = ANSWER_MAX_NEW_TOKENS,
        streamer: Any | None = None,
    ) -> Answer:
        """Answer from the memory with no context, a truncated corpus view, or given passages.

        ``streamer`` receives the generated tokens as they come (see ``generate_answer``).
        """
        text: str | None = None
        if context == "truncated":
            default_window = int(self.manifest.config.get("context_window", 256))
            text = truncated_context(self.loaded, self.corpus, window or default_window)
        elif context == "passages":
            text = passages_context(passages or [])
        return generate_answer(
            self.loaded,
            question,
            adapter=self.adapter,
            context=text,
            max_new_tokens=max_new_tokens,
            use_memory=use_memory,
            streamer=streamer,
        )

    def detach(self) -> None:
        self.adapter.detach()
