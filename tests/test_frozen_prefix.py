"""The frozen-prefix cache: replaying the lower layers changes speed, never the maths."""

from __future__ import annotations

import pytest
import torch

from lift_memory.adapters import create_adapter
from lift_memory.batches import collate
from lift_memory.config import LiftConfig
from lift_memory.frozen_prefix import FrozenPrefixCache
from lift_memory.gated_memory import GatedMemorySettings
from lift_memory.loss import causal_lm_loss
from lift_memory.segments import Document, segment_samples, tokenize_documents
from lift_memory.train import LiftTrainer, Stage

TEXT = "Ilse keeps the lighthouse at Varrow Point; the lamp is lit at dusk. " * 3


def config(cache_bytes: int, **overrides) -> LiftConfig:
    values = dict(
        adapter="gated_memory",
        segment_length=32,
        segment_stride=16,
        max_batch_tokens=64,
        stage1_epochs=2,
        stage2_epochs=1,
        warmup_steps=1,
        seed=3,
        gated_memory=GatedMemorySettings(top_layers=2),
        frozen_cache_max_bytes=cache_bytes,
        # the replay must be exact; under bf16 the cache (float32) is deliberately more exact
        # than a full bf16 forward of the frozen layers (lift_memory/frozen_prefix.py)
        precision="fp32",
    )
    values.update(overrides)
    return LiftConfig(**values)


def samples(loaded):
    tokenized = tokenize_documents(loaded.tokenizer, [Document("doc", TEXT)])
    return segment_samples(tokenized, 32, 16)


def test_top_layers_selects_the_last_k_decoder_layers(tiny) -> None:
    assert GatedMemorySettings(top_layers=2).chosen_layers(5) == [3, 4]
    assert GatedMemorySettings(top_layers=9).chosen_layers(5) == [0, 1, 2, 3, 4]
    assert GatedMemorySettings(layers=[1]).chosen_layers(5) == [1]
    loaded = tiny("llama", num_layers=4)
    adapter = create_adapter(loaded, config(0))
    assert adapter.first_adapted_layer() == 2
    assert sorted(int(k) for k in adapter.memory.layers) == [2, 3]


@pytest.mark.parametrize("architecture", ["llama", "qwen2", "gemma3"])
def test_replayed_forward_gives_the_same_loss_and_gradients(tiny, architecture: str) -> None:
    loaded = tiny(architecture, num_layers=4)
    cfg = config(1 << 30)
    adapter = create_adapter(loaded, cfg)
    with torch.no_grad():  # open the gate so the memory actually contributes
        for parameter in adapter.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    batch = samples(loaded)[:3]
    inputs = collate(batch, loaded.tokenizer.pad_token_id or 0, loaded.device)

    def loss_and_grads(replay: bool) -> tuple[float, list[torch.Tensor]]:
        for parameter in adapter.parameters():
            parameter.grad = None
        if replay:
            cache = FrozenPrefixCache(loaded.model, adapter.first_adapted_layer())
            cache.fill([batch], loaded.tokenizer.pad_token_id or 0, loaded.device)
            assert len(cache) == 3
            with cache.replaying(batch, inputs["input_ids"].shape[1]):
                loss = causal_lm_loss(loaded.model, **inputs)
        else:
            loss = causal_lm_loss(loaded.model, **inputs)
        loss.backward()
        return loss.item(), [p.grad.clone() for p in adapter.parameters()]

    full_loss, full_grads = loss_and_grads(replay=False)
    replay_loss, replay_grads = loss_and_grads(replay=True)
    assert replay_loss == pytest.approx(full_loss, rel=1e-5)
    for full, replayed in zip(full_grads, replay_grads, strict=True):
        torch.testing.assert_close(replayed, full, rtol=1e-4, atol=1e-6)
    # the swap is undone: every decoder layer is the model's own again
    layers = loaded.model.get_decoder().layers
    assert all(type(layer).__name__.endswith("DecoderLayer") for layer in layers)


def test_training_with_the_cache_matches_training_without(tiny) -> None:
    results = {}
    for cache_bytes in (0, 1 << 30):
        loaded = tiny("llama", num_layers=4)
        cfg = config(cache_bytes)
        adapter = create_adapter(loaded, cfg)
        trainer = LiftTrainer(loaded, adapter, cfg)
        segments = samples(loaded)
        result = trainer.train([Stage("a", segments, 2), Stage("b", segments, 1)])
        assert (trainer.frozen_cache is not None) == (cache_bytes > 0)
        results[cache_bytes] = (result.final_loss, adapter.tensors())
    (loss_off, tensors_off), (loss_on, tensors_on) = results[0], results[1 << 30]
    assert loss_on == pytest.approx(loss_off, rel=1e-4)
    for key, value in tensors_off.items():
        torch.testing.assert_close(tensors_on[key], value, rtol=1e-3, atol=1e-5)


def test_the_cache_is_skipped_above_its_memory_limit_or_when_layer_0_trains(tiny) -> None:
    loaded = tiny("llama", num_layers=4)
    segments = samples(loaded)
    needed = FrozenPrefixCache.bytes_needed(loaded.model, segments)
    assert needed == sum(len(s.input_ids) for s in segments) * 64 * 4
    trainer = LiftTrainer(loaded, create_adapter(loaded, config(needed - 1)), config(needed - 1))
    trainer.train([Stage("a", segments, 1)])
    assert trainer.frozen_cache is None

    every_layer = config(1 << 30, gated_memory=GatedMemorySettings())
    loaded = tiny("llama", num_layers=4)
    trainer = LiftTrainer(loaded, create_adapter(loaded, every_layer), every_layer)
    trainer.train([Stage("a", segments, 1)])
    assert trainer.frozen_cache is None
