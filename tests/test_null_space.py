"""Null-space training: a LoRA's update kept out of generic inputs' main directions."""

from __future__ import annotations

import pytest
import torch

from lift_memory.config import LiftConfig, LoraSettings
from lift_memory.consolidate import consolidate, open_memory
from lift_memory.ingest import ingest
from lift_memory.memory import LiftMemory
from lift_memory.memory_files import read_retention
from lift_memory.null_space import (
    NullSpaceProjection,
    complement_projector,
    input_second_moments,
    lora_modules,
)
from lift_memory.retention import retention_samples
from lift_memory.segments import Document
from lift_memory.store import MemoryStore


def test_the_projector_removes_the_directions_holding_the_share() -> None:
    # energy 9, 4, 1 along the first three axes, none along the fourth
    moment = torch.diag(torch.tensor([9.0, 4.0, 1.0, 0.0], dtype=torch.float64))
    projector, count = complement_projector(moment, 0.6)
    assert count == 1  # the first axis holds 9 / 14 = 64 %
    assert torch.allclose(projector, torch.diag(torch.tensor([0.0, 1, 1, 1], dtype=torch.float64)))
    _, count = complement_projector(moment, 0.9)
    assert count == 2  # 13 / 14 = 93 %


def _lora_config(small_config: LiftConfig, share: float | None) -> LiftConfig:
    return small_config.model_copy(
        update={
            "adapter": "lora",
            "lora": LoraSettings(rank=4, alpha=8, top_layers=None, generic_null_space=share),
            "retention_samples": 4,
            "retention_passages": 2,
            "learning_rate": 1e-2,
        }
    )


def _ingested(tiny, store: MemoryStore, config: LiftConfig, corpus: str) -> list[str]:
    """Ingest ``corpus`` as memory "notes"; what the ingest said."""
    lines: list[str] = []
    ingest(
        [Document("notes.txt", corpus)],
        "notes",
        store=store,
        model=tiny("llama"),
        config=config,
        on_stage=lines.append,
    )
    return lines


def test_a_memory_trained_in_the_null_space_leaves_generic_inputs_alone(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    config = _lora_config(small_config, 0.9)
    lines = _ingested(tiny, tmp_store, config, corpus)
    assert any(line.startswith("null space: each adapted module leaves") for line in lines)
    memory = LiftMemory.load("notes", store=tmp_store, model=tiny("llama"))
    retention = read_retention(tmp_store.path("notes"))
    assert retention is not None
    samples = retention_samples(memory.loaded, retention, config.retention_passages)
    with memory.adapter.disabled():
        moments = input_second_moments(memory.loaded, samples)
        refit = NullSpaceProjection.fit(memory.loaded, samples, 0.9)
    modules = lora_modules(memory.loaded.model)
    assert set(moments) == set(modules)
    for name, module in modules.items():
        a = module.lora_A["default"].weight.detach().double()
        assert a.abs().sum() > 0  # it trained
        # the saved A is already projected: projecting again changes nothing
        assert torch.allclose(a @ refit.projectors[name].double(), a, atol=1e-5)
        # so generic inputs keep at most a tenth of their energy through A's input side
        allowed = refit.projectors[name].double()
        kept = torch.trace(allowed @ moments[name] @ allowed) / torch.trace(moments[name])
        assert kept <= 0.1 + 1e-6


def test_without_the_setting_nothing_is_projected(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    lines = _ingested(tiny, tmp_store, _lora_config(small_config, None), corpus)
    assert not any(line.startswith("null space") for line in lines)


def test_the_share_must_leave_something_to_learn() -> None:
    with pytest.raises(ValueError):
        LoraSettings(generic_null_space=1.0)


def test_consolidation_trains_in_the_null_space_too(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    config = _lora_config(small_config, 0.9)
    loaded = tiny("llama")
    memory = open_memory("chat", store=tmp_store, model=loaded, config=config)
    lines: list[str] = []
    consolidate(
        memory,
        [Document("turns.txt", corpus)],
        store=tmp_store,
        config=config,
        on_stage=lines.append,
    )
    assert any(line.startswith("null space: each adapted module leaves") for line in lines)
    retention = read_retention(tmp_store.path("chat"))
    assert retention is not None
    samples = retention_samples(loaded, retention, config.retention_passages)
    with memory.adapter.disabled():
        refit = NullSpaceProjection.fit(loaded, samples, 0.9)
    for name, module in lora_modules(loaded.model).items():
        a = module.lora_A["default"].weight.detach().double()
        assert torch.allclose(a @ refit.projectors[name].double(), a, atol=1e-5)
