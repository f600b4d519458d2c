"""The labelled-positions-only loss equals transformers' own causal-LM loss."""

from __future__ import annotations

import pytest
import torch

from lift_memory.loss import causal_lm_loss
from lift_memory.prompts import IGNORE_INDEX
from lift_memory.tiny import tiny_model


@pytest.mark.parametrize("architecture", ["llama", "qwen2", "gemma3"])
def test_loss_matches_transformers(architecture: str) -> None:
    loaded = tiny_model(architecture)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 250, (2, 17), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0
    labels = ids.clone()
    labels[:, :5] = IGNORE_INDEX
    labels[mask == 0] = IGNORE_INDEX
    reference = loaded.model(input_ids=ids, attention_mask=mask, labels=labels).loss
    ours = causal_lm_loss(loaded.model, ids, mask, labels)
    assert torch.allclose(reference, ours, atol=1e-5)


def test_no_labelled_position_gives_zero_loss() -> None:
    loaded = tiny_model()
    ids = torch.randint(0, 250, (1, 8))
    labels = torch.full_like(ids, IGNORE_INDEX)
    assert causal_lm_loss(loaded.model, ids, torch.ones_like(ids), labels).item() == 0.0
