"""Shared fixtures: offline hub, tiny models, a temporary store, small configs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from lift_memory.config import LiftConfig
from lift_memory.models import LoadedModel
from lift_memory.store import MemoryStore
from lift_memory.tiny import tiny_model

CORPUS = (
    "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk. "
    "Her brother Tomas repairs the fishing boats in the harbour of Kelby. "
    "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889. "
    "The keeper's log records 412 ships guided past the reef in the first year. "
)

# Tiny models gain nothing from intra-op threads, and on a shared CPU they lose a lot to them.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a model hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def tiny() -> Callable[..., LoadedModel]:
    """Factory for tiny randomly initialised models: ``tiny("qwen2", seed=1)``."""

    def make(architecture: str = "llama", **kwargs) -> LoadedModel:
        return tiny_model(architecture, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def tiny_llama(tiny) -> LoadedModel:
    return tiny("llama")


@pytest.fixture
def tmp_store(tmp_path: Path) -> MemoryStore:
    return MemoryStore(tmp_path / "home")


@pytest.fixture
def small_config() -> LiftConfig:
    """A LIFT config that trains a tiny model in well under a second per epoch."""
    return LiftConfig(
        adapter="gated_memory",  # the engine tests exercise the gate; LoRA has its own tests
        segment_length=64,
        segment_stride=32,
        context_window=48,
        stage1_epochs=1,
        stage2_epochs=1,
        qa_count=5,
        qa_generator="cloze",
        retention_samples=2,
        retention_self_passages=0,  # 24 sampled passages by default; tests/test_self_prompts.py
        max_batch_tokens=512,
        warmup_steps=1,
    )


@pytest.fixture
def corpus() -> str:
    return CORPUS
