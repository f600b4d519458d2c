"""Batched generation (``lift_memory.batched_generation``): the one-at-a-time text, faster."""

from __future__ import annotations

from lift_memory.answer import generate_answer
from lift_memory.batched_generation import end_of_turn_ids, generate_batch, greedy_replies
from lift_memory.prompts import prompt_ids
from lift_memory.retention import RETENTION_PROMPTS, base_answers, record_retention_answers


def test_batched_replies_are_the_one_by_one_greedy_answers(tiny_llama) -> None:
    questions = ["What is it?", "Who made the lantern of Laen, and in which year?", "Hi"]
    expected = [generate_answer(tiny_llama, q, max_new_tokens=8).text for q in questions]
    assert greedy_replies(tiny_llama, questions, max_new_tokens=8, batch_size=2) == expected


def test_the_retention_answers_are_the_one_by_one_answers_in_prompt_order(tiny_llama) -> None:
    prompts = list(RETENTION_PROMPTS[:5])
    one_by_one = [(p, generate_answer(tiny_llama, p, max_new_tokens=24).text) for p in prompts]
    assert record_retention_answers(tiny_llama, 5) == [(p, a) for p, a in one_by_one if a]
    assert base_answers(tiny_llama, prompts, max_new_tokens=24, batch_size=2) == [
        (p, a) for p, a in one_by_one if a
    ]


def test_a_continuation_stops_before_the_end_of_turn_and_says_whether_it_ended(
    tiny_llama,
) -> None:
    prompts = [prompt_ids(tiny_llama.tokenizer, q) for q in ("Hi", "Name a colour.")]
    ends = set(end_of_turn_ids(tiny_llama))
    for temperature in (0.0, 1.0):
        for ids, ended in generate_batch(tiny_llama, prompts, 6, temperature=temperature):
            assert not ends & set(ids)
            assert ended or len(ids) == 6  # a turn not ended ran to the token limit


def test_the_generation_configs_end_tokens_end_a_turn_too(tiny_llama, monkeypatch) -> None:
    config = tiny_llama.model.generation_config
    monkeypatch.setattr(config, "eos_token_id", [tiny_llama.tokenizer.eos_token_id, 7])
    assert 7 in end_of_turn_ids(tiny_llama)
    assert tiny_llama.tokenizer.eos_token_id in end_of_turn_ids(tiny_llama)
