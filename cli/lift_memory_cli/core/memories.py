"""The memories of a store as the commands and the server see them: a manifest's summary row,
whether a memory can answer (or how to resume it), opening it on its base model, deleting it."""

from __future__ import annotations

import math
import shlex
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lift_memory.errors import CorruptMemory, LiftMemoryError, MemoryIncomplete
from lift_memory.model_registry import DEFAULT_MODEL
from lift_memory_cli.core.base_model import load_base_model
from lift_memory_cli.core.errors import ServiceError
from lift_memory_cli.core.rag_arm import open_rag_arm, rag_info

if TYPE_CHECKING:
    from llama_index.memory.lift import ChromaRetrievalArm

    from lift_memory.manifest import Manifest
    from lift_memory.memory import LiftMemory
    from lift_memory.store import MemoryStore


def memory_row(manifest: Manifest) -> dict[str, Any]:
    """The short description of a memory: a row of `ls`, the head of `info`, ``/v1/memories``."""
    rag = rag_info(manifest)
    return {
        "name": manifest.name,
        "status": manifest.status,
        "model": manifest.base_model,
        "adapter": manifest.adapter_kind,
        "documents": len(manifest.documents),
        "corpus_tokens": sum(d.tokens for d in manifest.documents),
        "qa_count": manifest.qa_count,
        "adapter_bytes": manifest.adapter_bytes,
        "rag_chunks": rag.get("chunks") if rag else None,
        "created_at": manifest.created_at,
        "updated_at": manifest.updated_at,
    }


def number(value: float | None) -> int | float | None:
    """A manifest number as it should read: integral values (token counts, bytes, epochs) as
    integers, others as they are; None for a missing or non-finite one."""
    if value is None or not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() else value


def memory_details(store: MemoryStore, manifest: Manifest) -> dict[str, Any]:
    """Everything the manifest records, its folder, and how to resume it if it is unfinished
    (`info --json`, ``GET /v1/memories/NAME``)."""
    data = manifest.model_dump(mode="json")
    data["metrics"] = {key: number(value) for key, value in manifest.metrics.items()}
    data["path"] = str(store.path(manifest.name))
    if manifest.status != "complete":
        data["resume"] = resume_command(manifest)
    replacement = unfinished_replacement(store, manifest)
    if replacement is not None:
        data["replacement"] = {"status": replacement.status, "resume": resume_command(replacement)}
    return data


def unfinished_replacement(store: MemoryStore, manifest: Manifest) -> Manifest | None:
    """The manifest of a new version of this memory that an interrupted or failed
    `ingest --overwrite` left (resumable), or None. Reads only: takes no lock."""
    staged = store.replacement_store(manifest.name)
    try:
        candidate = staged.read_manifest(manifest.name)
    except LiftMemoryError:
        return None
    return candidate if candidate.created_at > manifest.created_at else None


def memory_qa_pairs(store: MemoryStore, name: str) -> list[dict[str, str]]:
    """The auxiliary QA pairs the memory trained on (none before its ingest wrote them)."""
    from lift_memory.qa.jsonl_io import read_qa_jsonl

    path = store.qa_path(name)
    if not path.exists():
        return []
    return [
        {"question": p.question, "answer": p.answer, "evidence": p.evidence, "source": p.source}
        for p in read_qa_jsonl(path)
    ]


def store_problems(store: MemoryStore) -> list[dict[str, str]]:
    """The store's entries that are not readable memories, each with what is wrong."""
    return [
        {"name": p.name, "path": str(p.path), "error": p.message} for p in store.list_problems()
    ]


def resume_command(manifest: Manifest) -> str:
    """The command line that continues an unfinished ingest of this memory."""
    sources = " ".join(_shell_quote(d.source) for d in manifest.documents) or "PATH..."
    model = (
        ""
        if manifest.base_model == DEFAULT_MODEL
        else f" --model {_shell_quote(manifest.base_model)}"
    )
    # the user's QA source is not kept in the manifest: it is asked for again (until the
    # memory's qa.jsonl is written, after which it is not needed)
    qa = _QA_OPTIONS.get(str(manifest.config.get("qa_generator")), "")
    return f"lift-memory ingest {sources} --name {manifest.name}{model}{qa} --resume"


_QA_OPTIONS = {
    "jsonl": " --qa-file FILE.jsonl",
    "openai": " --qa-endpoint URL --qa-model NAME",
}


def _shell_quote(text: str) -> str:
    return "-" if text == "<stdin>" else shlex.quote(text)


def read_complete_manifest(store: MemoryStore, name: str) -> Manifest:
    """The manifest of a memory that can answer; an unfinished ingest says how to resume."""
    manifest = store.read_manifest(name)
    if manifest.status != "complete":
        with store.lock(name):  # MemoryLocked: an ingest is running right now; wait for it
            pass
        raise MemoryIncomplete(
            f"memory '{name}' did not finish ingesting; resume it with `{resume_command(manifest)}`"
        )
    return manifest


@dataclass
class OpenedMemory:
    memory: LiftMemory
    retrieval: ChromaRetrievalArm | None
    load_s: float


def open_memory(store: MemoryStore, name: str, *, need_retrieval: bool) -> OpenedMemory:
    """Load a complete memory on its base model, with its retrieval arm when asked for."""
    started = time.perf_counter()
    manifest = read_complete_manifest(store, name)
    retrieval = _open_retrieval(store, manifest) if need_retrieval else None
    from lift_memory.memory import LiftMemory  # the model code (torch), once the checks passed

    loaded = load_base_model(manifest.base_model, store.home)
    memory = LiftMemory.load(name, store=store, model=loaded)
    return OpenedMemory(memory, retrieval, time.perf_counter() - started)


def _open_retrieval(store: MemoryStore, manifest: Manifest) -> ChromaRetrievalArm:
    name, info = manifest.name, rag_info(manifest)
    if info is None:
        raise ServiceError(
            f"memory '{name}' has no retrieval arm (it was ingested with --no-rag); add one with "
            f"`{resume_command(manifest)}`, or use --mode memory"
        )
    retrieval = open_rag_arm(store, name, info)
    if info.get("url"):
        try:
            retrieval.count()
        except Exception as error:
            raise ServiceError(
                f"memory '{name}' keeps its retrieval arm on the Chroma server "
                f"{info['url']}, which failed ({type(error).__name__}: {error}); start it, "
                "or use --mode memory"
            ) from None
    # load the embedding model now, so that the first answer's latency is not its load time
    retrieval.embed_model.get_query_embedding("warm-up")
    return retrieval


def rag_info_for_deletion(store: MemoryStore, name: str) -> dict[str, Any] | None:
    """The retrieval arm of a memory about to be deleted (raises UnknownMemory if there is no
    such memory); None for a damaged manifest, which can still be deleted."""
    if not store.exists(name):
        store.read_manifest(name)  # raises UnknownMemory (or InvalidMemoryName)
    try:
        return rag_info(store.read_manifest(name))
    except CorruptMemory:
        return None


def delete_memory(store: MemoryStore, name: str, rag: dict[str, Any] | None) -> Exception | None:
    """Delete the memory's folder, then its collection on a Chroma server if it has one.

    ``rag`` is :func:`rag_info_for_deletion`'s answer, read before. Returns the error that kept
    the server collection from going (the memory itself is gone), None otherwise."""
    store.delete(name)
    if rag and rag.get("url"):  # the collection lives on a Chroma server, not in the folder
        try:
            open_rag_arm(store, name, rag).delete_collection()
        except Exception as error:  # noqa: BLE001 - the memory is gone; the caller says what is left
            return error
    return None
