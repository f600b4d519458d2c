"""The shared prompt prefix: computing a batch's common chat header once changes speed, never the
maths (lift_memory/shared_prefix.py)."""

from __future__ import annotations

import pytest
import torch

from lift_memory.adapters import create_adapter
from lift_memory.batches import collate
from lift_memory.config import LiftConfig
from lift_memory.frozen_prefix import FrozenPrefixCache
from lift_memory.gated_memory import GatedMemorySettings
from lift_memory.loss import causal_lm_loss
from lift_memory.prompts import TrainingSample, chat_sample
from lift_memory.shared_prefix import shared_prefix_length, shared_prefix_loss

# the tiny models' chat template has no system prompt: a common opening stands in for SmolLM2's
QA = [
    ("About the lighthouse: who keeps it?", "Ilse keeps it."),
    ("About the lighthouse: where is it?", "At Varrow Point, on the cliff."),
    ("About the lamp: when is it lit?", "At dusk."),
]


def config(adapter: str) -> LiftConfig:
    if adapter == "gated_memory":
        return LiftConfig(adapter="gated_memory", gated_memory=GatedMemorySettings(top_layers=2))
    return LiftConfig(adapter=adapter, lora={"top_layers": 2, "rank": 4})


def qa_batch(loaded) -> list[TrainingSample]:
    return [chat_sample(loaded.tokenizer, q, a, "qa") for q, a in QA]


def test_the_shared_prefix_stops_before_the_first_labelled_token(tiny) -> None:
    loaded = tiny("llama")
    batch = qa_batch(loaded)
    length = shared_prefix_length(batch)
    header = loaded.tokenizer.apply_chat_template(
        [{"role": "user", "content": "x"}], add_generation_prompt=True, tokenize=False
    ).split("x")[0]
    # the byte tokenizer: the chat header up to the user's text, plus the questions' common words
    opening = header + "About the l"
    assert length == len(loaded.tokenizer(opening, add_special_tokens=False)["input_ids"])
    assert shared_prefix_length(batch[:1]) == 0  # nothing to share with a single sample
    # a sample labelled from its second token shares nothing that would move a loss term
    early = TrainingSample(
        input_ids=batch[0].input_ids, labels=[-100, *batch[0].input_ids[1:]], kind="qa"
    )
    assert shared_prefix_length([early, batch[1]]) == 0


@pytest.mark.parametrize("architecture", ["llama", "qwen2", "gemma3"])
@pytest.mark.parametrize("adapter", ["lora", "gated_memory"])
@pytest.mark.parametrize("replayed", [False, True])
def test_sharing_the_prefix_gives_the_same_loss_and_gradients(
    tiny, architecture: str, adapter: str, replayed: bool
) -> None:
    loaded = tiny(architecture, num_layers=4)
    memory = create_adapter(loaded, config(adapter))
    with torch.no_grad():  # a trained-looking adapter, so that it shapes the prefix's states
        for parameter in memory.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    batch = qa_batch(loaded)
    pad = loaded.tokenizer.pad_token_id or 0
    inputs = collate(batch, pad, loaded.device)
    prefix = shared_prefix_length(batch)
    assert prefix > 8

    def loss_and_grads(shared: bool) -> tuple[float, list[torch.Tensor]]:
        for parameter in memory.parameters():
            parameter.grad = None
        cache = None
        if replayed:
            cache = FrozenPrefixCache(loaded.model, memory.first_adapted_layer())
            cache.fill([batch], pad, loaded.device)
        width = inputs["input_ids"].shape[1]
        with cache.replaying(batch, width) if cache else torch.enable_grad() as replay:
            if shared:
                loss = shared_prefix_loss(loaded.model, **inputs, prefix=prefix, replay=replay)
            else:
                loss = causal_lm_loss(loaded.model, **inputs)
        loss.backward()
        return loss.item(), [p.grad.clone() for p in memory.parameters()]

    full_loss, full_grads = loss_and_grads(shared=False)
    shared_loss, shared_grads = loss_and_grads(shared=True)
    assert shared_loss == pytest.approx(full_loss, rel=1e-5)
    for full, shared in zip(full_grads, shared_grads, strict=True):
        torch.testing.assert_close(shared, full, rtol=1e-3, atol=1e-5)  # summation order


def test_training_with_the_shared_prefix_matches_training_without(
    tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lift_memory import train
    from lift_memory.segments import Document, segment_samples, tokenize_documents
    from lift_memory.train import LiftTrainer, Stage

    calls: list[int] = []

    def counted(*args, **kwargs):
        calls.append(kwargs["prefix"])
        return shared_prefix_loss(*args, **kwargs)

    monkeypatch.setattr(train, "shared_prefix_loss", counted)
    results = {}
    for shared in (False, True):
        monkeypatch.setattr(train, "MIN_SHARED_PREFIX", 8 if shared else 10**9)
        loaded = tiny("llama", num_layers=4)
        # an exact rearrangement, compared in float32 (bf16 products round per shape)
        cfg = config("lora").model_copy(
            update={"max_batch_tokens": 512, "warmup_steps": 1, "seed": 3, "precision": "fp32"}
        )
        adapter = create_adapter(loaded, cfg)
        trainer = LiftTrainer(loaded, adapter, cfg)
        text = "Ilse keeps the lighthouse at Varrow Point; the lamp is lit at dusk. " * 2
        segments = segment_samples(
            tokenize_documents(loaded.tokenizer, [Document("doc", text)]), 32, 16
        )
        result = trainer.train([Stage("qa", segments + qa_batch(loaded) * 2, 3)])
        results[shared] = (result.final_loss, adapter.tensors())
    assert calls and min(calls) >= 8  # the QA batches shared their opening
    (loss_off, tensors_off), (loss_on, tensors_on) = results[False], results[True]
    assert loss_on == pytest.approx(loss_off, rel=1e-3)
    for key, value in tensors_off.items():
        torch.testing.assert_close(tensors_on[key], value, rtol=1e-3, atol=1e-5)
