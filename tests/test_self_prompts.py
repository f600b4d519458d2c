"""Retention chats the base model writes itself (``lift_memory.self_prompts``)."""

from __future__ import annotations

import json

import pytest
import torch

from lift_memory import Document, LiftConfig, ingest
from lift_memory.memory_files import RETENTION_FILE, read_retention
from lift_memory.retention import GENERIC_PROMPTS, retention_samples
from lift_memory.self_prompts import (
    QUESTION_OPENERS,
    self_prompted_pairs,
    self_written_passages,
    self_written_user_turns,
    user_turn_opening,
)


def test_the_opening_is_the_chat_template_up_to_the_users_words(tiny_llama) -> None:
    text = tiny_llama.tokenizer.decode(user_turn_opening(tiny_llama))
    assert text.endswith("<|im_start|>user\n")
    assert "assistant" not in text


def test_user_turns_are_seeded_distinct_and_leave_the_global_random_state_alone(
    tiny_llama,
) -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    turns = self_written_user_turns(tiny_llama, 6, seed=0)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert 0 < len(turns) <= 6
    assert len({" ".join(t.lower().split()) for t in turns}) == len(turns)
    assert all(turn.strip() == turn and turn for turn in turns)
    assert self_written_user_turns(tiny_llama, 6, seed=0) == turns
    assert self_written_user_turns(tiny_llama, 6, seed=1) != turns


def test_half_the_turns_open_with_a_question_word(tiny_llama, monkeypatch) -> None:
    monkeypatch.setattr("lift_memory.self_prompts.USER_TURN_MAX_TOKENS", 4)
    turns = self_written_user_turns(tiny_llama, 40, seed=0, batch_size=16)
    opened = [t for t in turns if any(t.startswith(opener) for opener in QUESTION_OPENERS)]
    assert opened and len(opened) < len(turns)


def test_turns_the_model_did_not_end_are_dropped(tiny_llama, monkeypatch) -> None:
    monkeypatch.setattr("lift_memory.self_prompts.USER_TURN_MAX_TOKENS", 2)
    long = self_written_user_turns(tiny_llama, 8, seed=0)
    monkeypatch.setattr("lift_memory.self_prompts.USER_TURN_MAX_TOKENS", 48)
    assert len(long) <= len(self_written_user_turns(tiny_llama, 8, seed=0))


def test_ingest_trains_the_self_written_chats_after_the_bundled_prompts(
    tiny_llama, tmp_store, small_config, corpus
) -> None:
    config = small_config.model_copy(update={"retention_self_prompts": 3})
    stages: list[str] = []
    ingest_notes(tiny_llama, tmp_store, corpus, config, on_stage=stages.append)
    saved = [
        tuple(json.loads(line))
        for line in (tmp_store.path("notes") / RETENTION_FILE).read_text().splitlines()
    ]
    assert [prompt for prompt, _ in saved[:2]] == list(GENERIC_PROMPTS[:2])
    assert saved[2:] == self_prompted_pairs(tiny_llama, 3, seed=config.seed)
    assert saved[2:]  # the tiny model ends some turns of its own
    assert any("writes 3 chats" in stage for stage in stages)


def test_self_written_passages_are_seeded_long_enough_and_keep_the_random_state(
    tiny_llama,
) -> None:
    torch.manual_seed(7)
    before = torch.random.get_rng_state()
    passages = self_written_passages(tiny_llama, 3, seed=0, max_new_tokens=32, min_tokens=8)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert 0 < len(passages) <= 3 and all(passages)
    assert self_written_passages(tiny_llama, 3, seed=0, max_new_tokens=32, min_tokens=8) == (
        passages
    )
    # passages shorter than min_tokens are dropped
    assert self_written_passages(tiny_llama, 3, seed=0, max_new_tokens=4, min_tokens=8) == []


def ingest_notes(model, store, corpus: str, config: LiftConfig, **options) -> None:
    """Ingest ``corpus`` as the memory "notes" (one document, notes.txt)."""
    ingest(
        [Document("notes.txt", corpus)], "notes", store=store, model=model, config=config, **options
    )


@pytest.fixture
def two_written_passages(small_config, monkeypatch) -> LiftConfig:
    """A config asking for two self-written passages, the model's sampling replaced by fixed
    text ("Passage 0.", "Passage 1.")."""
    monkeypatch.setattr(
        "lift_memory.self_prompts.self_written_passages",
        lambda loaded, count, seed: [f"Passage {i}." for i in range(count)],
    )
    return small_config.model_copy(update={"retention_self_passages": 2})


def test_self_written_passages_are_kept_as_prompt_less_pairs_and_trained_as_plain_text(
    tiny_llama, tmp_store, two_written_passages, corpus
) -> None:
    ingest_notes(tiny_llama, tmp_store, corpus, two_written_passages)
    saved = read_retention(tmp_store.path("notes"))
    assert saved is not None and saved[2:] == [("", "Passage 0."), ("", "Passage 1.")]
    samples = retention_samples(tiny_llama, saved)
    assert len(samples) == 4
    plain = samples[-1]
    assert plain.labels == plain.input_ids  # every token a target, no chat template
    assert tiny_llama.tokenizer.decode(plain.input_ids) == "Passage 1."


def test_shared_retention_answers_are_followed_by_the_self_written_passages(
    tiny_llama, tmp_store, two_written_passages, corpus
) -> None:
    # the bench shares one recording of the bundled prompts' answers across memories; what the
    # model writes itself (24 passages by default) is still written for each memory after them
    shared = [(GENERIC_PROMPTS[0], "Jupiter."), (GENERIC_PROMPTS[1], "Shakespeare.")]
    ingest_notes(tiny_llama, tmp_store, corpus, two_written_passages, retention_answers=shared)
    saved = read_retention(tmp_store.path("notes"))
    assert saved == [*shared, ("", "Passage 0."), ("", "Passage 1.")]


def test_the_default_recipe_has_the_model_write_24_retention_passages() -> None:
    assert LiftConfig().retention_self_passages == 48
    assert LiftConfig().retention_self_prompts == 0
