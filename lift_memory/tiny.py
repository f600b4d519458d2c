"""Tiny randomly initialised models for tests: same architectures, seconds instead of minutes.

The tokenizer is byte-level (256 bytes + ChatML specials), built in memory, so tests need no
model files at all.
"""

from __future__ import annotations

from typing import Literal

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    Gemma3ForCausalLM,
    Gemma3TextConfig,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from lift_memory.config import LiftConfig
from lift_memory.models import LoadedModel, model_fingerprint, prepare_frozen

TinyArchitecture = Literal["llama", "qwen2", "gemma3"]

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def byte_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level tokenizer (vocab 259) with a ChatML chat template."""
    byte_alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {symbol: index for index, symbol in enumerate(sorted(byte_alphabet))}
    for special in _SPECIALS:
        vocab[special] = len(vocab)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def tiny_model(
    architecture: TinyArchitecture = "llama",
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    seed: int = 0,
) -> LoadedModel:
    """A randomly initialised decoder of the given architecture with the byte tokenizer."""
    tokenizer = byte_tokenizer()
    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    if architecture == "llama":
        model = LlamaForCausalLM(LlamaConfig(**common))
    elif architecture == "qwen2":
        model = Qwen2ForCausalLM(Qwen2Config(**common))
    elif architecture == "gemma3":
        config = Gemma3TextConfig(
            **common, head_dim=hidden_size // num_heads, sliding_window=64, query_pre_attn_scalar=16
        )
        model = Gemma3ForCausalLM(config)
    else:
        raise ValueError(f"unknown tiny architecture {architecture!r}")
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    prepare_frozen(model)
    return LoadedModel(model, tokenizer, f"tiny-{architecture}", model_fingerprint(model))


def tiny_config(**overrides: object) -> LiftConfig:
    """A LIFT config sized for tiny models in tests: one epoch per stage, a few QA pairs."""
    settings: dict[str, object] = dict(
        segment_length=64,
        segment_stride=32,
        context_window=48,
        stage1_epochs=1,
        stage2_epochs=1,
        qa_count=4,
        qa_generator="cloze",
        retention_samples=2,
        max_batch_tokens=512,
        warmup_steps=1,
    )
    settings.update(overrides)
    return LiftConfig.model_validate(settings)
