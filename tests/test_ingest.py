"""Ingest end to end on tiny models: manifest, QA, adapter, load, interrupt/resume, refusals."""

from __future__ import annotations

import hashlib
import json
import math

import pytest
import torch

from lift_memory.answer import Answer
from lift_memory.config import LiftConfig, LoraSettings
from lift_memory.errors import LiftMemoryError, MemoryIncomplete
from lift_memory.ingest import ingest, training_stages
from lift_memory.memory import LiftMemory
from lift_memory.memory_files import CORPUS_FILE, RETENTION_FILE, read_corpus
from lift_memory.qa.base import QAPair
from lift_memory.retention import (
    GENERIC_PASSAGES,
    GENERIC_PROMPTS,
    record_retention_answers,
    retention_samples,
)
from lift_memory.retention_share import retention_repeats
from lift_memory.segments import Document
from lift_memory.store import MemoryStore
from lift_memory.train import TrainProgress

SECOND = "Kelby harbour freezes in February; the ferry to Orrin then runs on Tuesdays only. "


def documents(corpus: str) -> list[Document]:
    return [Document("lighthouse.txt", corpus), Document("harbour.txt", SECOND * 2)]


def stop_at(step: int):
    def callback(progress: TrainProgress) -> None:
        if progress.step == step:
            raise KeyboardInterrupt

    return callback


def test_ingest_writes_a_complete_memory(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    loaded = tiny("llama")
    docs = documents(corpus)
    result = ingest(docs, "notes", store=tmp_store, model=loaded, config=small_config)
    manifest = tmp_store.read_manifest("notes")
    assert manifest == result.manifest
    assert manifest.status == "complete"
    assert manifest.base_model == "tiny-llama"
    assert manifest.base_fingerprint == loaded.fingerprint
    assert manifest.adapter_kind == "gated_memory"
    assert LiftConfig.model_validate(manifest.config) == small_config
    assert [d.source for d in manifest.documents] == ["lighthouse.txt", "harbour.txt"]
    for record, doc in zip(manifest.documents, docs, strict=True):
        assert record.sha256 == hashlib.sha256(doc.text.encode()).hexdigest()
        assert record.tokens == len(doc.text.encode())  # byte tokenizer
        assert record.chars == len(doc.text)

    qa_lines = tmp_store.qa_path("notes").read_text().splitlines()
    assert 1 <= manifest.qa_count == len(qa_lines) == len(result.qa_pairs) <= 5
    for line in qa_lines:
        pair = json.loads(line)
        assert pair["evidence"] in corpus + SECOND * 2  # verbatim evidence

    adapter = tmp_store.adapter_path("notes")
    assert adapter.is_file() and manifest.adapter_bytes == adapter.stat().st_size > 0
    tensors, metadata = tmp_store.load_adapter("notes", loaded.fingerprint)
    assert all(key.startswith("layers.") for key in tensors)
    assert metadata["base_fingerprint"] == loaded.fingerprint
    assert {"qa_s", "retention_s", "train_s", "ingest_s"} <= set(manifest.timings)
    assert all(v >= 0 for v in manifest.timings.values())
    assert math.isfinite(manifest.metrics["final_loss"])
    assert manifest.metrics["train_tokens"] > 0
    assert manifest.metrics["corpus_tokens"] == sum(d.tokens for d in manifest.documents)
    assert {"loss_segments", "loss_segments+qa"} <= set(manifest.metrics)
    assert not tmp_store.checkpoint_dir("notes").exists()  # removed once complete
    assert read_corpus(tmp_store.path("notes")) == docs
    assert (tmp_store.path("notes") / CORPUS_FILE).is_file()
    assert result.train.steps > 0 and result.seconds > 0


def test_shared_retention_answers_are_used_not_recorded(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    loaded = tiny("llama")
    recorded = record_retention_answers(loaded, small_config.retention_samples)
    assert [prompt for prompt, _ in recorded] == list(GENERIC_PROMPTS[:2])
    shared = [(GENERIC_PROMPTS[0], "Jupiter."), (GENERIC_PROMPTS[1], "Shakespeare.")]
    stages: list[str] = []
    ingest(
        documents(corpus),
        "notes",
        store=tmp_store,
        model=loaded,
        config=small_config,
        retention_answers=shared,
        on_stage=stages.append,
    )
    assert not any("retention" in stage for stage in stages)  # nothing generated
    saved = (tmp_store.path("notes") / RETENTION_FILE).read_text().splitlines()
    assert [tuple(json.loads(line)) for line in saved] == shared


def test_ingest_leaves_the_base_model_untouched(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    loaded = tiny("qwen2")
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    probe = torch.tensor([[50 + i for i in range(16)]])
    with torch.no_grad():
        logits = loaded.model(probe).logits
    ingest(documents(corpus), "notes", store=tmp_store, model=loaded, config=small_config)
    after = loaded.model.state_dict()
    assert after.keys() == before.keys()
    for name, tensor in before.items():
        assert torch.equal(after[name], tensor), name
    with torch.no_grad():
        assert torch.equal(loaded.model(probe).logits, logits)  # no adapter left attached
    assert not loaded.model.training


def test_load_and_ask(tiny, tmp_store: MemoryStore, small_config, corpus) -> None:
    loaded = tiny("llama")
    ingest(documents(corpus), "notes", store=tmp_store, model=loaded, config=small_config)
    memory = LiftMemory.load("notes", store=tmp_store, model=tiny("llama"))
    assert memory.manifest.status == "complete"
    assert memory.adapter.kind == "gated_memory"
    answer = memory.ask("Who keeps the lighthouse?", max_new_tokens=4)
    assert isinstance(answer, Answer) and isinstance(answer.mean_gate, float)
    truncated = memory.ask("Who keeps the lighthouse?", context="truncated", max_new_tokens=2)
    assert truncated.prompt_tokens > answer.prompt_tokens
    memory.detach()
    # the ingest's own model is clean again and can carry the memory too
    again = LiftMemory.load("notes", store=tmp_store, model=loaded)
    assert again.adapter.kind == "gated_memory"


def test_load_refuses_another_base_model(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    ingest(documents(corpus), "notes", store=tmp_store, model=tiny("llama"), config=small_config)
    with pytest.raises(LiftMemoryError, match="trained on"):
        LiftMemory.load("notes", store=tmp_store, model=tiny("llama", seed=9))


def test_interrupted_ingest_is_incomplete_and_resumes(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    config = small_config.model_copy(update={"checkpoint_every_steps": 2})
    docs = documents(corpus)
    reference = ingest(docs, "reference", store=tmp_store, model=tiny("llama"), config=config)
    assert reference.train.steps > 4

    loaded = tiny("llama")
    with pytest.raises(KeyboardInterrupt):
        ingest(docs, "notes", store=tmp_store, model=loaded, config=config, on_progress=stop_at(4))
    assert tmp_store.read_manifest("notes").status == "incomplete"
    assert tmp_store.checkpoint_dir("notes").is_dir()
    with pytest.raises(MemoryIncomplete):
        LiftMemory.load("notes", store=tmp_store, model=tiny("llama"))

    result = ingest(docs, "notes", store=tmp_store, model=loaded, config=config, resume=True)
    assert result.train.resumed_from_step == 2  # the last checkpoint before the interruption
    assert result.manifest.status == "complete"
    memory = LiftMemory.load("notes", store=tmp_store, model=tiny("llama"))
    assert memory.manifest.status == "complete"

    # the resumed memory is the one an uninterrupted ingest would have made
    resumed, _ = tmp_store.load_adapter("notes")
    expected, _ = tmp_store.load_adapter("reference")
    assert resumed.keys() == expected.keys()
    for key, value in resumed.items():
        assert torch.allclose(value, expected[key], atol=1e-6), key


def test_resume_with_other_documents_is_refused(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    loaded = tiny("llama")
    with pytest.raises(KeyboardInterrupt):
        ingest(
            documents(corpus),
            "notes",
            store=tmp_store,
            model=loaded,
            config=small_config,
            on_progress=stop_at(1),
        )
    with pytest.raises(LiftMemoryError, match="documents differ"):
        ingest(
            [Document("other.txt", SECOND)],
            "notes",
            store=tmp_store,
            model=loaded,
            config=small_config,
            resume=True,
        )
    with pytest.raises(LiftMemoryError, match="same --model"):
        ingest(
            documents(corpus),
            "notes",
            store=tmp_store,
            model=tiny("llama", seed=4),
            config=small_config,
            resume=True,
        )


def test_resume_of_a_complete_memory_is_refused(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    loaded = tiny("llama")
    ingest(documents(corpus), "notes", store=tmp_store, model=loaded, config=small_config)
    with pytest.raises(LiftMemoryError, match="already complete"):
        ingest(
            documents(corpus),
            "notes",
            store=tmp_store,
            model=loaded,
            config=small_config,
            resume=True,
        )


def test_same_name_needs_overwrite(tiny, tmp_store: MemoryStore, small_config, corpus) -> None:
    loaded = tiny("llama")
    first = ingest(documents(corpus), "notes", store=tmp_store, model=loaded, config=small_config)
    with pytest.raises(LiftMemoryError, match="already exists"):
        ingest(
            [Document("x.txt", SECOND)], "notes", store=tmp_store, model=loaded, config=small_config
        )
    assert tmp_store.read_manifest("notes") == first.manifest  # untouched by the refusal
    second = ingest(
        [Document("x.txt", SECOND)],
        "notes",
        store=tmp_store,
        model=loaded,
        config=small_config,
        overwrite=True,
    )
    assert [d.source for d in second.manifest.documents] == ["x.txt"]
    assert LiftMemory.load("notes", store=tmp_store, model=tiny("llama")).documents == [
        Document("x.txt", SECOND)
    ]


def test_empty_documents_are_refused(tiny, tmp_store: MemoryStore, small_config) -> None:
    with pytest.raises(LiftMemoryError, match="empty"):
        ingest(
            [Document("blank.txt", "  \n")],
            "notes",
            store=tmp_store,
            model=tiny("llama"),
            config=small_config,
        )
    assert not tmp_store.exists("notes")


def test_lora_memory_ingests_and_loads(tiny, tmp_store: MemoryStore, small_config, corpus) -> None:
    config = small_config.model_copy(
        update={"adapter": "lora", "lora": LoraSettings(rank=2, alpha=4)}
    )
    loaded = tiny("llama")
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    result = ingest(documents(corpus), "notes", store=tmp_store, model=loaded, config=config)
    assert result.manifest.adapter_kind == "lora"
    tensors, metadata = tmp_store.load_adapter("notes")
    assert metadata["adapter_kind"] == "lora"
    # the LoRA's factors and its fitted relevance gate (the default; tests/test_relevance_gate.py)
    assert tensors and all("lora_" in key or key.startswith("relevance_gate.") for key in tensors)
    assert any(key.startswith("relevance_gate.") for key in tensors)
    after = loaded.model.state_dict()
    assert after.keys() == before.keys()  # the LoRA layers were taken off again
    assert all(torch.equal(after[k], v) for k, v in before.items())

    memory = LiftMemory.load("notes", store=tmp_store, model=tiny("llama"))
    assert memory.adapter.kind == "lora"
    answer = memory.ask("Who keeps the lighthouse?", max_new_tokens=3)
    assert answer.mean_gate is None and answer.latency_s > 0


def test_retention_passages_are_plain_text_targets(
    tiny, tmp_store: MemoryStore, small_config, corpus
) -> None:
    loaded = tiny("llama")
    assert LiftConfig.model_fields["retention_passages"].metadata[-1].le == len(GENERIC_PASSAGES)
    pairs = [(GENERIC_PROMPTS[0], "Jupiter.")]
    samples = retention_samples(loaded, pairs, passages=2)
    assert [s.kind for s in samples] == ["retention"] * 3
    for sample, passage in zip(samples[1:], GENERIC_PASSAGES, strict=False):
        assert loaded.tokenizer.decode(sample.input_ids) == passage  # no chat template
        assert sample.labels == sample.input_ids  # every token is a target
    config = small_config.model_copy(update={"retention_passages": 2})
    result = ingest(documents(corpus), "notes", store=tmp_store, model=loaded, config=config)
    assert result.manifest.status == "complete"
    assert math.isfinite(result.manifest.metrics["final_loss"])


def test_retention_share_repeats_the_retention_text_to_its_share(
    tiny, small_config, corpus
) -> None:
    loaded = tiny("llama")
    pairs = [QAPair("Who keeps the lighthouse?", "Orla", "Orla keeps it.", "test")]
    retention = [(GENERIC_PROMPTS[0], "Jupiter.")]

    def tokens(share: float | None) -> dict[str, int]:
        config = small_config.model_copy(update={"retention_share": share})
        stage2 = training_stages(loaded, documents(corpus), pairs, retention, config)[-1]
        counted: dict[str, int] = {}
        for sample in stage2.samples:
            counted[sample.kind] = counted.get(sample.kind, 0) + len(sample.input_ids)
        return counted

    once, shared = tokens(None), tokens(0.9)
    others = sum(v for k, v in once.items() if k != "retention")
    assert once["retention"] / (once["retention"] + others) < 0.9  # one pass falls short
    assert shared["retention"] % once["retention"] == 0  # whole repeats of the same samples
    assert shared["retention"] / (shared["retention"] + others) >= 0.9
    assert (shared["retention"] - once["retention"]) / (
        shared["retention"] - once["retention"] + others
    ) < 0.9  # the fewest repeats that reach it


def test_stage_two_knows_which_samples_are_the_corpus_as_plain_text(
    tiny, small_config, corpus
) -> None:
    loaded = tiny("llama")
    pairs = [QAPair("Who keeps the lighthouse?", "Orla", "Orla keeps it.", "test")]
    config = small_config.model_copy(update={"plain_text_epochs": 1, "fact_statements": True})
    stage2 = training_stages(loaded, documents(corpus), pairs, [], config)[-1]
    assert stage2.plain_epochs == 1
    kinds = [s.kind for s in stage2.samples]
    # segments and restated statements first, then the questions: only those rest
    assert stage2.plain > 0 and "qa" not in kinds[: stage2.plain]
    assert kinds[stage2.plain] == "qa"
    assert list(stage2.resting_plain(0)) == [] and stage2.resting_plain(1) == range(stage2.plain)


@pytest.mark.parametrize(
    ("retention", "other", "share", "repeats"),
    [
        (100, 900, None, 1),
        (100, 900, 0.1, 1),
        (100, 1800, 0.1, 2),
        (10, 900, 0.5, 90),
        (0, 9, 0.5, 1),
    ],
)
def test_retention_repeats(retention: int, other: int, share: float | None, repeats: int) -> None:
    assert retention_repeats(retention, other, share) == repeats
