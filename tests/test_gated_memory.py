"""The Gated Memory adapter (docs/design.md §1.2): identity at init, attach/detach, save/load, stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from lift_memory.errors import AdapterMismatch
from lift_memory.gated_memory import (
    GatedMemorySettings,
    attach_gated_memory,
    find_attention_modules,
    load_gated_memory,
)

ARCHS = ["llama", "qwen2", "gemma3"]


def ids(length: int = 24) -> torch.Tensor:
    return torch.tensor([[40 + (i * 7) % 80 for i in range(length)]])


@torch.no_grad()
def logits(loaded, input_ids: torch.Tensor | None = None) -> torch.Tensor:
    return loaded.model(input_ids if input_ids is not None else ids()).logits


@torch.no_grad()
def greedy(loaded, n: int = 12) -> list[int]:
    prompt = ids(10)
    out = loaded.model.generate(
        input_ids=prompt,
        attention_mask=torch.ones_like(prompt),
        max_new_tokens=n,
        do_sample=False,
        pad_token_id=loaded.tokenizer.pad_token_id,
    )
    return out[0, prompt.shape[1] :].tolist()


def open_gates(memory, scale: float = 2.0) -> None:
    with torch.no_grad():
        for layer in memory.layers.values():
            layer.gate_scale.fill_(scale)
            layer.w2.normal_(0, 1.0)


def hook_count(loaded) -> int:
    return sum(
        len(attention.q_proj._forward_hooks) + len(attention.o_proj._forward_pre_hooks)
        for _, attention in find_attention_modules(loaded.model)
    )


@pytest.mark.parametrize("arch", ARCHS)
def test_identity_at_initialisation(tiny, arch: str) -> None:
    loaded = tiny(arch)
    before = logits(loaded)
    base_tokens = greedy(loaded)
    memory = attach_gated_memory(loaded.model)
    assert len(memory.layers) == len(find_attention_modules(loaded.model))
    after = logits(loaded)
    assert (before - after).abs().max().item() <= 1e-5
    assert greedy(loaded) == base_tokens


@pytest.mark.parametrize("arch", ARCHS)
def test_open_gate_changes_output_and_detach_restores_it(tiny, arch: str) -> None:
    loaded = tiny(arch)
    before = logits(loaded)
    memory = attach_gated_memory(loaded.model)
    open_gates(memory)
    changed = logits(loaded)
    assert (changed - before).abs().max().item() > 1e-3
    memory.detach()
    assert not memory.attached
    assert torch.equal(logits(loaded), before)
    assert hook_count(loaded) == 0
    for _, attention in find_attention_modules(loaded.model):
        assert "gated_memory" not in attention._modules
    assert not any("gated_memory" in name for name, _ in loaded.model.named_parameters())


def test_only_gate_scale_nonzero_changes_output(tiny) -> None:
    loaded = tiny("llama")
    before = logits(loaded)
    memory = attach_gated_memory(loaded.model)
    with torch.no_grad():
        memory.layers["0"].gate_scale.fill_(0.5)
    assert (logits(loaded) - before).abs().max().item() > 1e-4


def test_disabled_context_gives_base_outputs(tiny) -> None:
    loaded = tiny("qwen2")
    before = logits(loaded)
    memory = attach_gated_memory(loaded.model)
    open_gates(memory)
    adapted = logits(loaded)
    with memory.disabled():
        assert torch.equal(logits(loaded), before)
    assert torch.equal(logits(loaded), adapted)  # active again afterwards


def test_attaching_twice_is_refused(tiny_llama) -> None:
    attach_gated_memory(tiny_llama.model)
    with pytest.raises(ValueError, match="already"):
        attach_gated_memory(tiny_llama.model)


@pytest.mark.parametrize("arch", ARCHS)
def test_save_and_load_reproduce_outputs(tiny, tmp_path: Path, arch: str) -> None:
    loaded = tiny(arch, seed=3)
    memory = attach_gated_memory(loaded.model)
    open_gates(memory, scale=1.0)
    expected = logits(loaded)
    path = tmp_path / "adapter.safetensors"
    size = memory.save(path, metadata={"base_fingerprint": loaded.fingerprint})
    assert size == path.stat().st_size > 0

    with safe_open(str(path), framework="pt") as handle:
        keys = list(handle.keys())
        meta = handle.metadata()
    assert keys and all(key.startswith("layers.") for key in keys)
    base_names = set(loaded.model.state_dict())
    assert not base_names & set(keys)
    assert meta["adapter_kind"] == "gated_memory"
    assert json.loads(meta["geometry"])

    fresh = tiny(arch, seed=3)
    assert fresh.fingerprint == loaded.fingerprint
    restored = load_gated_memory(fresh.model, path, base_fingerprint=fresh.fingerprint)
    assert torch.equal(logits(fresh), expected)
    for key, value in memory.state_dict().items():
        assert torch.equal(restored.state_dict()[key], value)


def test_load_onto_other_shapes_is_refused(tiny, tmp_path: Path) -> None:
    loaded = tiny("llama")
    path = tmp_path / "adapter.safetensors"
    attach_gated_memory(loaded.model).save(path)
    other = tiny("llama", hidden_size=32, num_heads=2, num_kv_heads=1)
    with pytest.raises(AdapterMismatch):
        load_gated_memory(other.model, path)
    assert hook_count(other) == 0  # a refused load leaves nothing behind
    deeper = tiny("llama", num_layers=3)
    with pytest.raises(AdapterMismatch):
        load_gated_memory(deeper.model, path)


def test_load_with_another_fingerprint_is_refused(tiny, tmp_path: Path) -> None:
    loaded = tiny("llama", seed=0)
    path = tmp_path / "adapter.safetensors"
    attach_gated_memory(loaded.model).save(path, metadata={"base_fingerprint": loaded.fingerprint})
    other = tiny("llama", seed=1)
    assert other.fingerprint != loaded.fingerprint
    with pytest.raises(AdapterMismatch, match="fingerprint"):
        load_gated_memory(other.model, path, base_fingerprint=other.fingerprint)
    assert hook_count(other) == 0


def test_layer_selection_adapts_only_the_chosen_layer(tiny) -> None:
    loaded = tiny("llama", num_layers=3)
    memory = attach_gated_memory(loaded.model, GatedMemorySettings(layers=[1]))
    assert list(memory.layers) == ["1"]
    attentions = [attention for _, attention in find_attention_modules(loaded.model)]
    assert ["gated_memory" in a._modules for a in attentions] == [False, True, False]
    logits(loaded)
    assert set(memory.gate_by_layer()) == {1}
    layer = memory.layers["1"]
    assert memory.trainable_parameters() == sum(p.numel() for p in layer.parameters())


@pytest.mark.parametrize("index", [2, -1, 7])
def test_out_of_range_layer_is_refused(tiny_llama, index: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        attach_gated_memory(tiny_llama.model, GatedMemorySettings(layers=[index]))
    assert hook_count(tiny_llama) == 0


def test_gate_statistics(tiny_llama) -> None:
    memory = attach_gated_memory(tiny_llama.model)
    assert memory.mean_gate() is None
    assert memory.gate_by_layer() == {}
    logits(tiny_llama)
    assert memory.mean_gate() == 0.0  # closed at initialisation
    assert set(memory.gate_by_layer()) == {0, 1}
    open_gates(memory, scale=1.0)
    memory.reset_gate_stats()
    assert memory.mean_gate() is None
    logits(tiny_llama)
    mean = memory.mean_gate()
    assert isinstance(mean, float) and 0.0 < mean <= 1.0
    assert all(0.0 < value <= 1.0 for value in memory.gate_by_layer().values())


def test_trainable_parameter_count_matches_the_formula(tiny_llama) -> None:
    memory = attach_gated_memory(tiny_llama.model)
    heads, head_dim = 4, 16
    hidden, gate_hidden = 4 * head_dim, 4  # the default memory MLP is 4 × head_dim wide
    per_layer = heads * (head_dim * hidden * 2 + head_dim * gate_hidden + gate_hidden + 2)
    assert memory.trainable_parameters() == 2 * per_layer


def test_default_memory_sits_in_the_top_twelve_layers(tiny) -> None:
    loaded = tiny("llama", num_layers=14)
    memory = attach_gated_memory(loaded.model)
    assert sorted(int(index) for index in memory.layers) == list(range(2, 14))


def test_adapter_saved_before_top_layers_existed_loads_as_every_layer_memory(tiny) -> None:
    from lift_memory.gated_memory.model import gated_memory_from_tensors

    loaded = tiny("llama", num_layers=14)
    old = attach_gated_memory(
        loaded.model, GatedMemorySettings(top_layers=None, hidden_multiplier=2)
    )
    tensors = {key: value.detach().clone() for key, value in old.state_dict().items()}
    settings = json.loads(old.settings.model_dump_json())
    del settings["top_layers"]  # what an adapter written by an older release carries
    old.detach()
    restored = gated_memory_from_tensors(
        loaded.model,
        tensors,
        {"adapter_kind": "gated_memory", "settings": json.dumps(settings)},
        None,
    )
    assert restored.settings.top_layers is None
    assert sorted(int(index) for index in restored.layers) == list(range(14))
    assert restored.trainable_parameters() == sum(t.numel() for t in tensors.values())
