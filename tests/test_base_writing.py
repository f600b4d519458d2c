"""What the base model writes for a memory is kept per model and read back by the next memory."""

from __future__ import annotations

import importlib
import json
import os

import pytest

from lift_memory import ingest
from lift_memory.base_writing import (
    CACHE_DIR,
    base_writing_key,
    kept_retention_answers,
    kept_self_written_retention,
    kept_user_turns,
    remembered,
)
from lift_memory.config import LoraSettings
from lift_memory.documents import Document
from lift_memory.memory_files import read_retention, read_shut_questions
from lift_memory.retention import record_retention_answers


def counting(value):
    calls: list[int] = []

    def write():
        calls.append(1)
        return value

    return write, calls


def test_a_second_call_reads_back_what_the_first_wrote(tiny, tmp_path) -> None:
    loaded = tiny("llama")
    write, calls = counting([["a", "b"]])
    said: list[str] = []
    first = remembered(tmp_path, loaded, "x", {"n": 1}, (json,), write, lambda: said.append("w"))
    second = remembered(tmp_path, loaded, "x", {"n": 1}, (json,), write, lambda: said.append("w"))
    assert first.value == second.value == [["a", "b"]]
    assert not first.kept and second.kept
    assert second.seconds == pytest.approx(first.seconds)  # what writing it cost, kept with it
    assert len(calls) == 1 and said == ["w"]  # announced only when written
    assert len(list((tmp_path / CACHE_DIR).iterdir())) == 1


def test_what_decides_the_text_decides_the_key(tiny) -> None:
    loaded = tiny("llama")
    key = base_writing_key(loaded, "x", {"n": 1}, (json,))
    assert key == base_writing_key(tiny("llama"), "x", {"n": 1}, (json,))  # same weights
    assert key != base_writing_key(loaded, "x", {"n": 2}, (json,))  # settings
    assert key != base_writing_key(loaded, "y", {"n": 1}, (json,))  # what is written
    assert key != base_writing_key(loaded, "x", {"n": 1}, (os,))  # the writing code
    assert key != base_writing_key(tiny("llama", seed=1), "x", {"n": 1}, (json,))  # the model
    assert key != base_writing_key(tiny("qwen2"), "x", {"n": 1}, (json,))


def test_an_unreadable_file_is_written_again_and_no_home_keeps_nothing(tiny, tmp_path) -> None:
    loaded = tiny("llama")
    write, calls = counting(["t"])
    remembered(tmp_path, loaded, "x", {}, (json,), write)
    (kept,) = (tmp_path / CACHE_DIR).iterdir()
    kept.write_text("{not json")
    again = remembered(tmp_path, loaded, "x", {}, (json,), write)
    assert again.value == ["t"] and not again.kept and len(calls) == 2
    assert json.loads(kept.read_text())["value"] == ["t"]
    assert not remembered(None, loaded, "x", {}, (json,), write).kept
    assert len(calls) == 3


def test_kept_text_equals_what_the_model_writes(tiny, tmp_path, small_config) -> None:
    loaded = tiny("llama")
    answers = kept_retention_answers(loaded, 3, tmp_path)
    assert not answers.kept and answers.value == record_retention_answers(loaded, 3)
    again = kept_retention_answers(loaded, 3, tmp_path)
    assert again.kept and again.value == answers.value
    config = small_config.model_copy(update={"retention_self_passages": 2, "seed": 5})
    passages = kept_self_written_retention(loaded, config, tmp_path)
    assert not passages.kept and passages.value
    assert all(prompt == "" for prompt, _ in passages.value)
    assert kept_self_written_retention(loaded, config, tmp_path).value == passages.value
    turns = kept_user_turns(loaded, 4, 3, tmp_path)
    assert kept_user_turns(loaded, 4, 3, tmp_path).value == turns.value
    assert kept_user_turns(loaded, 0, 3, tmp_path).value == []


def test_a_second_memory_of_the_model_does_not_write_them_again(
    tiny, tmp_store, small_config, corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    lora = LoraSettings(rank=2, alpha=4, fitted_relevance_gate=True, relevance_self_questions=4)
    config = small_config.model_copy(
        update={"adapter": "lora", "lora": lora, "retention_samples": 3}
    )
    config = config.model_copy(update={"retention_self_passages": 2})
    documents = [Document(text=corpus, source="c")]
    lines: list[str] = []
    ingest(
        documents, "one", store=tmp_store, model=tiny("llama"), config=config, on_stage=lines.append
    )
    assert any("recording 3 base-model answers" in line for line in lines)
    assert any("writes 2 passages" in line for line in lines)
    assert any("writing 4 turns" in line for line in lines)

    def never(*_args, **_kwargs):
        raise AssertionError("the base model wrote its text again")

    for module, name in (
        ("lift_memory.retention", "record_retention_answers"),
        ("lift_memory.self_prompts", "self_written_retention"),
        ("lift_memory.self_prompts", "self_written_user_turns"),
    ):
        monkeypatch.setattr(importlib.import_module(module), name, never)
    lines.clear()
    other = [Document(text="Mara Venn keeps bees on the hill above Oskel.", source="d")]
    ingest(other, "two", store=tmp_store, model=tiny("llama"), config=config, on_stage=lines.append)
    assert not any(word in line for word in ("recording", "writes", "writing") for line in lines)
    assert any("read back what the base model wrote" in line for line in lines)
    assert read_retention(tmp_store.path("two")) == read_retention(tmp_store.path("one"))
    assert read_shut_questions(tmp_store.path("two")) == read_shut_questions(tmp_store.path("one"))
