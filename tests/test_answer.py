"""Answering: generation, confidence, gate statistics, memory on/off, context modes."""

from __future__ import annotations

import math

import pytest
import torch

from lift_memory.adapters import create_adapter
from lift_memory.answer import Answer, generate_answer, passages_context, truncated_context
from lift_memory.config import LiftConfig
from lift_memory.manifest import Manifest
from lift_memory.memory import LiftMemory
from lift_memory.prompts import ELLIPSIS, prompt_ids, question_prompt
from lift_memory.segments import Document

QUESTION = "Who keeps the lighthouse?"


def open_gates(adapter) -> None:
    with torch.no_grad():
        for layer in adapter.memory.layers.values():
            layer.gate_scale.fill_(2.0)
            layer.w2.normal_(0, 1.0)


def test_answer_fields_with_a_gated_memory(tiny_llama) -> None:
    adapter = create_adapter(tiny_llama, LiftConfig(adapter="gated_memory"))
    answer = generate_answer(tiny_llama, QUESTION, adapter=adapter, max_new_tokens=8)
    assert isinstance(answer, Answer)
    assert isinstance(answer.text, str)
    assert 0 < answer.generated_tokens <= 8
    assert math.isfinite(answer.mean_logprob) and answer.mean_logprob <= 0
    assert isinstance(answer.mean_gate, float) and answer.mean_gate == 0.0  # closed at init
    assert answer.latency_s > 0
    assert answer.prompt_tokens == len(prompt_ids(tiny_llama.tokenizer, QUESTION))

    open_gates(adapter)
    opened = generate_answer(tiny_llama, QUESTION, adapter=adapter, max_new_tokens=8)
    assert isinstance(opened.mean_gate, float) and 0 < opened.mean_gate <= 1


def test_answer_without_an_adapter_has_no_gate(tiny_llama) -> None:
    answer = generate_answer(tiny_llama, QUESTION, max_new_tokens=6)
    assert answer.mean_gate is None
    assert math.isfinite(answer.mean_logprob) and answer.mean_logprob <= 0
    assert answer.latency_s > 0


def test_use_memory_false_is_the_base_model(tiny) -> None:
    loaded = tiny("qwen2")
    base = generate_answer(loaded, QUESTION, max_new_tokens=12)
    adapter = create_adapter(loaded, LiftConfig(adapter="gated_memory"))
    open_gates(adapter)
    with_memory = generate_answer(loaded, QUESTION, adapter=adapter, max_new_tokens=12)
    without = generate_answer(
        loaded, QUESTION, adapter=adapter, max_new_tokens=12, use_memory=False
    )
    assert (without.text, without.mean_logprob) == (base.text, base.mean_logprob)
    assert without.mean_gate is None
    assert (with_memory.text, with_memory.mean_logprob) != (base.text, base.mean_logprob)
    # the memory is active again after a use_memory=False answer
    again = generate_answer(loaded, QUESTION, adapter=adapter, max_new_tokens=12)
    assert (again.text, again.mean_logprob) == (with_memory.text, with_memory.mean_logprob)


def test_greedy_answers_are_deterministic(tiny_llama) -> None:
    first = generate_answer(tiny_llama, QUESTION, max_new_tokens=10)
    second = generate_answer(tiny_llama, QUESTION, max_new_tokens=10)
    assert (first.text, first.mean_logprob) == (second.text, second.mean_logprob)


CORPUS = "".join(f"Fact {i}: the keeper logged ship number {i * 7}. " for i in range(30))


@pytest.fixture
def memory(tiny_llama) -> LiftMemory:
    config = LiftConfig(adapter="gated_memory", context_window=48)
    manifest = Manifest(
        name="notes",
        base_model=tiny_llama.model_id,
        base_fingerprint=tiny_llama.fingerprint,
        adapter_kind="gated_memory",
        config=config.model_dump(mode="json"),
    )
    adapter = create_adapter(tiny_llama, config)
    return LiftMemory(manifest, tiny_llama, adapter, [Document("notes.txt", CORPUS)])


def test_context_modes_change_the_prompt(memory: LiftMemory) -> None:
    tok = memory.loaded.tokenizer
    none = memory.ask(QUESTION, max_new_tokens=2)
    assert none.prompt_tokens == len(prompt_ids(tok, QUESTION))

    truncated = memory.ask(QUESTION, context="truncated", max_new_tokens=2)
    view = truncated_context(memory.loaded, CORPUS, 48)
    assert ELLIPSIS in view
    assert truncated.prompt_tokens == len(prompt_ids(tok, question_prompt(QUESTION, view)))
    # the view adds about the window's worth of tokens (byte tokenizer: one per character)
    extra = truncated.prompt_tokens - none.prompt_tokens
    assert 48 <= extra <= 48 + 80

    wider = memory.ask(QUESTION, context="truncated", window=96, max_new_tokens=2)
    assert wider.prompt_tokens - truncated.prompt_tokens in range(46, 51)

    passages = ["The keeper is Ilse.", "Ships pass the reef."]
    with_passages = memory.ask(QUESTION, context="passages", passages=passages, max_new_tokens=2)
    expected = prompt_ids(tok, question_prompt(QUESTION, passages_context(passages)))
    assert with_passages.prompt_tokens == len(expected)
    assert with_passages.prompt_tokens > none.prompt_tokens + sum(len(p) for p in passages)

    empty = memory.ask(QUESTION, context="passages", passages=[], max_new_tokens=2)
    assert empty.prompt_tokens == none.prompt_tokens


def test_ask_without_memory_reports_no_gate(memory: LiftMemory) -> None:
    assert memory.ask(QUESTION, use_memory=False, max_new_tokens=2).mean_gate is None
    assert memory.ask(QUESTION, max_new_tokens=2).mean_gate == 0.0
    assert memory.corpus == CORPUS


def test_truncated_context_keeps_short_corpora_whole(tiny_llama) -> None:
    assert truncated_context(tiny_llama, "short text", 48) == "short text"
    view = truncated_context(tiny_llama, CORPUS, 48)
    head, _, tail = view.partition(ELLIPSIS)
    assert CORPUS.startswith(head) and CORPUS.endswith(tail)
    assert len(head) + len(tail) == 48
