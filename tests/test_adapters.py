"""One Adapter face for Gated Memory and the PEFT LoRA / PiSSA ablations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from lift_memory.adapters import GatedMemoryAdapter, PeftAdapter, create_adapter, restore_adapter
from lift_memory.config import LiftConfig, LoraSettings
from lift_memory.errors import AdapterMismatch, CorruptMemory
from lift_memory.gated_memory import GatedMemorySettings
from lift_memory.segments import Document, segment_samples, tokenize_documents
from lift_memory.train import LiftTrainer, Stage

TEXT = "The keeper lights the lamp at dusk and logs every ship that passes the reef. " * 2


def ids() -> torch.Tensor:
    return torch.tensor([[40 + (i * 5) % 70 for i in range(20)]])


@torch.no_grad()
def logits(loaded) -> torch.Tensor:
    return loaded.model(ids()).logits


def config(kind: str, **overrides) -> LiftConfig:
    values = dict(
        adapter=kind,
        # answering as it trained: these tests compare a restored memory with the trained one
        lora=LoraSettings(rank=4, alpha=8, top_layers=None, answer_scale=1.0),
        segment_length=32,
        segment_stride=16,
        stage1_epochs=1,
        stage2_epochs=0,
        max_batch_tokens=64,
        warmup_steps=1,
        learning_rate=1e-2,
    )
    values.update(overrides)
    return LiftConfig(**values)


def train(loaded, adapter, cfg: LiftConfig) -> None:
    tokenized = tokenize_documents(loaded.tokenizer, [Document("d", TEXT)])
    samples = segment_samples(tokenized, cfg.segment_length, cfg.segment_stride)
    LiftTrainer(loaded, adapter, cfg).train([Stage("segments", samples, cfg.stage1_epochs)])


@pytest.mark.parametrize("kind", ["lora", "pissa"])
def test_peft_adapter_trains_saves_and_restores(tiny, tmp_path: Path, kind: str) -> None:
    loaded = tiny("llama")
    cfg = config(kind)
    adapter = create_adapter(loaded, cfg)
    assert isinstance(adapter, PeftAdapter) and adapter.kind == kind
    trainable = {n for n, p in loaded.model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    assert sum(p.numel() for p in adapter.parameters()) == sum(
        p.numel() for n, p in loaded.model.named_parameters() if "lora_" in n
    )
    frozen = {
        n: p.detach().clone() for n, p in loaded.model.named_parameters() if not p.requires_grad
    }
    before = {k: v.clone() for k, v in adapter.tensors().items()}
    train(loaded, adapter, cfg)
    after = adapter.tensors()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    for name, value in loaded.model.named_parameters():
        if name in frozen:
            assert torch.equal(value, frozen[name]), name
    assert all("lora_" in key for key in after)
    assert adapter.mean_gate() is None

    path = tmp_path / "adapter.safetensors"
    save_file(dict(after), str(path), metadata=adapter.metadata())
    expected = logits(loaded)
    with adapter.disabled():
        assert not torch.allclose(logits(loaded), expected)

    fresh = tiny("llama")
    restored = restore_adapter(fresh, load_file(str(path)), adapter.metadata())
    assert restored.kind == kind
    assert torch.allclose(logits(fresh), expected, atol=1e-5)


def test_lora_disabled_and_detach_give_base_outputs(tiny) -> None:
    loaded = tiny("llama")
    base = logits(loaded)
    cfg = config("lora")
    adapter = create_adapter(loaded, cfg)
    assert torch.equal(logits(loaded), base)  # LoRA B starts at zero
    train(loaded, adapter, cfg)
    assert not torch.allclose(logits(loaded), base)
    with adapter.disabled():
        assert torch.allclose(logits(loaded), base, atol=1e-6)
    adapter.detach()
    assert torch.allclose(logits(loaded), base, atol=1e-6)
    assert not any("lora_" in n for n, _ in loaded.model.named_parameters())


def test_lora_scaled_fades_between_base_and_memory(tiny) -> None:
    loaded = tiny("llama")
    base = logits(loaded)
    cfg = config("lora")
    adapter = create_adapter(loaded, cfg)
    train(loaded, adapter, cfg)
    trained = logits(loaded)
    assert adapter.scalable
    with adapter.scaled(0.0):
        assert torch.allclose(logits(loaded), base, atol=1e-6)
    with adapter.scaled(0.5):
        half = logits(loaded)
        assert not torch.allclose(half, base) and not torch.allclose(half, trained)
    with adapter.scaled(1.0):
        assert torch.allclose(logits(loaded), trained, atol=1e-6)
    assert torch.equal(logits(loaded), trained)  # the scaling is restored on the way out
    with pytest.raises(ValueError, match="within"):
        adapter.scaled(1.5).__enter__()


def test_a_restored_lora_answers_at_its_answer_scale_and_trains_at_its_own(tiny) -> None:
    loaded = tiny("llama")
    cfg = config("lora", lora=LoraSettings(rank=4, alpha=8, top_layers=None, answer_scale=0.5))
    adapter = create_adapter(loaded, cfg)
    train(loaded, adapter, cfg)
    trained = logits(loaded)  # a fresh adapter trains and stays at alpha / rank
    with adapter.scaled(0.5):
        half = logits(loaded)
    tensors, metadata = adapter.tensors(), adapter.metadata()
    adapter.detach()

    restored = restore_adapter(loaded, tensors, metadata)
    assert restored.answer_scale == 0.5
    assert torch.allclose(logits(loaded), half, atol=1e-6)  # the memory answers at half
    with restored.at_training_scale():
        assert torch.allclose(logits(loaded), trained, atol=1e-6)
    assert torch.allclose(logits(loaded), half, atol=1e-6)
    # a router's scaling multiplies the answer scale, and its exit restores it
    with restored.scaled(0.0):
        with restored.scaled(0.5):
            pass
        base_like = logits(loaded)
    with restored.disabled():
        assert torch.allclose(base_like, logits(loaded), atol=1e-6)
    assert torch.allclose(logits(loaded), half, atol=1e-6)
    restored.detach()


def test_a_lora_answers_at_085_by_default_and_old_or_pissa_memories_in_full(tiny) -> None:
    # the default since the quality profile measured it (docs/benchmarks.md, fifteenth session)
    assert LoraSettings().answer_scale == 0.85
    for kind in ("pissa", "gated_memory"):  # their configs take the LoRA default as it is
        assert LiftConfig(adapter=kind).lora.answer_scale == 0.85
    loaded = tiny("llama")
    default = LoraSettings(rank=4, alpha=8, top_layers=None)  # answer_scale at its default
    pissa = create_adapter(loaded, config("pissa", lora=default))
    restored = restore_adapter(tiny("llama"), pissa.tensors(), pissa.metadata())
    assert restored.answer_scale == 1.0
    lora = create_adapter(loaded := tiny("llama"), config("lora", lora=default))
    tensors, metadata = lora.tensors(), lora.metadata()
    lora.detach()
    settings = json.loads(metadata["settings"])
    del settings["answer_scale"]  # a memory saved before the setting existed answered in full
    old = restore_adapter(loaded, tensors, {**metadata, "settings": json.dumps(settings)})
    assert old.answer_scale == 1.0


def test_pissa_cannot_be_scaled_towards_the_base(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, config("pissa"))
    assert not adapter.scalable
    with pytest.raises(ValueError, match="cannot be scaled"):
        adapter.scaled(0.5).__enter__()


def test_pissa_detach_is_refused(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, config("pissa"))
    with pytest.raises(RuntimeError, match="reload"):
        adapter.detach()


def test_lora_restore_onto_other_shapes_is_refused(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, config("lora"))
    other = tiny("llama", hidden_size=32, num_heads=2, num_kv_heads=1)
    with pytest.raises(AdapterMismatch):
        restore_adapter(other, adapter.tensors(), adapter.metadata())


def test_gated_memory_adapter_face(tiny) -> None:
    loaded = tiny("llama")
    base = logits(loaded)
    adapter = create_adapter(loaded, config("gated_memory"))
    assert isinstance(adapter, GatedMemoryAdapter)
    # heads·(2·d·4d + d·⌊√d⌋ + ⌊√d⌋ + 2) per layer, d = 16, 4 heads, 2 layers (MLP 4·d wide)
    assert sum(p.numel() for p in adapter.parameters()) == 2 * 4 * (2 * 16 * 64 + 16 * 4 + 4 + 2)
    assert adapter.memory.trainable_parameters() == sum(p.numel() for p in adapter.parameters())
    assert all(key.startswith("layers.") for key in adapter.tensors())
    assert adapter.metadata()["adapter_kind"] == "gated_memory"
    assert all(
        not p.requires_grad for p in loaded.model.parameters() if p.dim() and p.numel() > 4096
    )
    assert adapter.mean_gate() is None
    assert torch.equal(logits(loaded), base)
    assert adapter.mean_gate() == 0.0
    adapter.reset_gate_stats()
    assert adapter.mean_gate() is None


def test_gated_memory_layers_setting_shrinks_the_adapter(tiny) -> None:
    loaded = tiny("llama")
    cfg = config("gated_memory", gated_memory=GatedMemorySettings(layers=[1]))
    adapter = create_adapter(loaded, cfg)
    assert sum(p.numel() for p in adapter.parameters()) == 4 * (2 * 16 * 64 + 16 * 4 + 4 + 2)


def test_gated_memory_restore_reproduces_outputs(tiny) -> None:
    loaded = tiny("qwen2")
    cfg = config("gated_memory")
    adapter = create_adapter(loaded, cfg)
    train(loaded, adapter, cfg)
    expected = logits(loaded)
    meta = {**adapter.metadata(), "base_fingerprint": loaded.fingerprint}
    fresh = tiny("qwen2")
    restored = restore_adapter(fresh, dict(adapter.tensors()), meta)
    assert torch.equal(logits(fresh), expected)
    restored.detach()
    other = tiny("qwen2", seed=5)
    with pytest.raises(AdapterMismatch):
        restore_adapter(other, dict(adapter.tensors()), meta)


def test_unknown_adapter_kind_is_corrupt(tiny) -> None:
    with pytest.raises(CorruptMemory):
        restore_adapter(tiny("llama"), {}, {"adapter_kind": "mystery"})


@pytest.mark.parametrize("kind", ["gated_memory", "lora"])
def test_initialisation_follows_the_config_seed(tiny, kind: str) -> None:
    """Two adapters from one config start equal, whatever the global RNG went through."""
    cfg = config(kind, seed=11)
    torch.manual_seed(123)
    first = create_adapter(tiny("llama"), cfg).tensors()
    torch.manual_seed(456)
    torch.rand(1000)
    loaded = tiny("llama")
    torch.rand(17)
    second = create_adapter(loaded, cfg).tensors()
    for key in first:
        assert torch.equal(first[key], second[key]), key
    other = create_adapter(tiny("llama"), config(kind, seed=12)).tensors()
    assert any(not torch.equal(first[k], other[k]) for k in first)


def test_lora_top_layers_adapts_only_those_layers_and_round_trips(tiny, tmp_path: Path) -> None:
    loaded = tiny("llama")
    cfg = config("lora", lora=LoraSettings(rank=4, alpha=8, top_layers=1, answer_scale=1.0))
    adapter = create_adapter(loaded, cfg)
    adapted = {n.split(".")[2] for n, _ in loaded.model.named_parameters() if "lora_" in n}
    assert adapted == {"1"}  # the top one of the tiny model's two layers
    assert adapter.first_adapted_layer() == 1
    tokenized = tokenize_documents(loaded.tokenizer, [Document("d", TEXT)])
    samples = segment_samples(tokenized, cfg.segment_length, cfg.segment_stride)
    trainer = LiftTrainer(loaded, adapter, cfg)
    trainer.train([Stage("segments", samples, cfg.stage1_epochs)])
    assert trainer.frozen_cache is not None and len(trainer.frozen_cache) > 0  # layer 0 replayed
    expected = logits(loaded)
    path = tmp_path / "adapter.safetensors"
    save_file(dict(adapter.tensors()), str(path), metadata=adapter.metadata())
    fresh = tiny("llama")
    restored = restore_adapter(fresh, load_file(str(path)), adapter.metadata())
    assert restored.first_adapted_layer() == 1
    assert torch.allclose(logits(fresh), expected, atol=1e-5)


def test_lora_saved_before_top_layers_existed_adapts_every_layer(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, config("lora"))
    metadata = adapter.metadata()
    settings = json.loads(metadata["settings"])
    assert settings.pop("top_layers") is None
    old = {**metadata, "settings": json.dumps(settings)}
    restored = restore_adapter(tiny("llama"), adapter.tensors(), old)
    assert restored.first_adapted_layer() == 0


def test_lora_settings_that_do_not_validate_are_corrupt(tiny) -> None:
    adapter = create_adapter(tiny("llama"), config("lora"))
    bad = {**adapter.metadata(), "settings": json.dumps({"rank": -1})}
    with pytest.raises(CorruptMemory, match="LoRA settings"):
        restore_adapter(tiny("llama"), adapter.tensors(), bad)
