"""The retention teacher is the unmodified base model, for every adapter kind.

PiSSA moves the principal components out of the base weights, so switching its adapter off is
not the base model; ``Adapter.disabled()`` must give the base model's logits anyway (the KL
retention teacher, "base" answers and the bench's likelihood all rely on it).
"""

from __future__ import annotations

import pytest
import torch

from lift_memory.adapters import create_adapter
from lift_memory.config import LiftConfig, LoraSettings
from lift_memory.segments import Document, segment_samples, tokenize_documents
from lift_memory.train import LiftTrainer, Stage

TEXT = "Ilse keeps the lighthouse at Varrow Point; the lamp is lit at dusk. " * 3


@pytest.mark.parametrize("kind", ["gated_memory", "lora", "pissa"])
def test_memory_off_is_the_bare_base_model_after_training(tiny, kind: str) -> None:
    loaded = tiny("llama")
    ids = loaded.tokenizer(TEXT, return_tensors="pt")["input_ids"][:, :48]
    with torch.no_grad():
        bare = loaded.model(ids).logits.clone()
    config = LiftConfig(
        adapter=kind,
        lora=LoraSettings(rank=4, alpha=8),
        segment_length=32,
        segment_stride=16,
        stage1_epochs=2,
        stage2_epochs=0,
        learning_rate=5e-2,
        warmup_steps=1,
        max_batch_tokens=64,
    )
    adapter = create_adapter(loaded, config)
    samples = segment_samples(tokenize_documents(loaded.tokenizer, [Document("d", TEXT)]), 32, 16)
    LiftTrainer(loaded, adapter, config).train([Stage("segments", samples, 2)])
    with torch.no_grad():
        adapted = loaded.model(ids).logits.clone()
        with adapter.disabled():
            teacher = loaded.model(ids).logits.clone()
        after = loaded.model(ids).logits.clone()
    assert (adapted - bare).abs().max() > 1e-3  # the adapter learned something
    assert torch.allclose(teacher, bare, atol=1e-4), (teacher - bare).abs().max()
    assert torch.equal(after, adapted)  # and is back in place afterwards
