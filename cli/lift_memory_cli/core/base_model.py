"""Loading the base model a memory was trained on (docs/design.md §3): a bundled model, a
Hugging Face id or directory, or one of the hidden tiny test models."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lift_memory.model_registry import DEFAULT_MODEL

if TYPE_CHECKING:
    from lift_memory.models import LoadedModel

__all__ = ["DEFAULT_MODEL", "TINY_MODELS", "load_base_model", "quiet_transformers"]

# Not advertised in --help: tiny randomly initialised models for tests and quick experiments.
TINY_MODELS = {"tiny-llama": "llama", "tiny-qwen2": "qwen2", "tiny-gemma3": "gemma3"}


def quiet_transformers() -> None:
    """No transformers warnings or download bars: the commands print their own progress."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def load_base_model(
    model_id: str, home: Path, *, device: str | None = None, dtype: str = "auto"
) -> LoadedModel:
    """``model_id`` loaded on ``device`` in ``dtype`` (see :mod:`lift_memory_cli.core.devices`;
    the model code imports torch: only when a model is needed)."""
    from lift_memory_cli.core.devices import resolve_device, resolve_dtype

    quiet_transformers()
    where = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, where)
    if model_id in TINY_MODELS:
        from lift_memory.tiny import tiny_model

        loaded = tiny_model(TINY_MODELS[model_id])  # type: ignore[arg-type]
        loaded.model.to(dtype=torch_dtype)
        loaded.model.to(where)
        return loaded
    from lift_memory.models import load_model

    return load_model(model_id, home=home, device=where, dtype=torch_dtype)


def local_model_path(model: str) -> str:
    """A model given as an existing local directory, made absolute (a memory records it, and
    must find it again from any working directory); any other id as it is."""
    from lift_memory.model_registry import BUNDLED_MODELS

    path = Path(model).expanduser()
    if model not in TINY_MODELS and model not in BUNDLED_MODELS and path.is_dir():
        return str(path.resolve())
    return model
