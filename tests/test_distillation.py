"""Self-distillation from the base model reading the fact's paragraph (lift_memory/distillation.py)."""

from __future__ import annotations

import pytest
import torch

from lift_memory.adapters import create_adapter
from lift_memory.batches import collate
from lift_memory.config import LiftConfig
from lift_memory.distillation import (
    TOP_K,
    distillation_kl,
    source_passage,
    teach,
    teacher_tensors,
)
from lift_memory.ingest import ingest
from lift_memory.loss import labelled_logits
from lift_memory.prompts import IGNORE_INDEX, TrainingSample, prompt_ids, question_prompt
from lift_memory.segments import Document
from lift_memory.train import LiftTrainer, Stage

CORPUS = (
    "The Laen lantern was made by Orla Fenwick in 1820.\n\n"
    "Orla Fenwick was born in Tessbury. She kept bees."
)
QUESTION = "Who made the Laen lantern?"


def test_source_passage_is_the_paragraph_holding_the_evidence() -> None:
    assert source_passage(CORPUS, "Orla Fenwick was born in Tessbury.") == (
        "Orla Fenwick was born in Tessbury. She kept bees."
    )
    assert source_passage(CORPUS, "Not  in the text.") == "Not  in the text."


def _greedy(loaded, prompt: list[int], n: int) -> list[int]:
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            ids.append(int(loaded.model(torch.tensor([ids])).logits[0, -1].argmax()))
    return ids[len(prompt) :]


def _closed_book(loaded, reply: list[int]) -> TrainingSample:
    prompt = prompt_ids(loaded.tokenizer, question_prompt(QUESTION))
    return TrainingSample(prompt + reply, [IGNORE_INDEX] * len(prompt) + reply, "qa")


def test_teacher_is_the_base_model_reading_the_passage_and_only_where_it_is_right(tiny) -> None:
    loaded = tiny("llama")
    passage = source_passage(CORPUS, "The Laen lantern was made by Orla Fenwick in 1820.")
    open_prompt = prompt_ids(loaded.tokenizer, question_prompt(QUESTION, passage))
    right = _greedy(loaded, open_prompt, 4)  # what the teacher itself says, token by token
    wrong = [(token + 1) % loaded.model.config.vocab_size for token in right]
    samples = [_closed_book(loaded, right), _closed_book(loaded, wrong)]
    teaching = teach(loaded, samples, {0: (QUESTION, passage, None), 1: (QUESTION, passage, None)})
    # the whole reply counts by default but the last labelled token (an end of turn) does not
    assert (teaching.taught, teaching.asked) == (1, 2)
    assert teaching.samples[1].teacher is None and teaching.samples[1] == samples[1]
    teacher = teaching.samples[0].teacher
    assert teacher is not None and len(teacher.token_ids) == len(right)
    with torch.no_grad():
        logits = loaded.model(torch.tensor([open_prompt + right])).logits[0].float()
    expected = torch.log_softmax(logits[len(open_prompt) - 1 : -1], dim=-1).topk(TOP_K, dim=-1)
    assert teacher.token_ids == expected.indices.tolist()
    assert torch.allclose(torch.tensor(teacher.logprobs), expected.values, atol=1e-4)
    # the span decides: a wrong first token does not matter when the answer is the rest
    taught = teach(loaded, samples, {1: (QUESTION, passage, (1, 1))})
    assert taught.taught == 1


def test_kl_is_zero_for_the_teacher_itself_and_positive_otherwise() -> None:
    torch.manual_seed(0)
    vocab = TOP_K  # the top-k then holds the whole distribution: the KL is exact
    teacher_logits = torch.randn(5, vocab)
    top = torch.log_softmax(teacher_logits, -1).topk(TOP_K, dim=-1)
    has = torch.tensor([True, True, False, True, True])
    assert distillation_kl(teacher_logits, top.indices, top.values, has).item() == pytest.approx(
        0.0, abs=1e-6
    )
    student = torch.randn(5, vocab, requires_grad=True)
    kl = distillation_kl(student, top.indices, top.values, has)
    exact = torch.nn.functional.kl_div(
        torch.log_softmax(student[has], -1),
        torch.log_softmax(teacher_logits[has], -1),
        log_target=True,
        reduction="batchmean",
    )
    assert kl.item() == pytest.approx(exact.item(), rel=1e-5) and kl.item() > 0
    kl.backward()
    assert student.grad is not None and student.grad[2].abs().sum() == 0  # no teacher, no pull


def test_teacher_rows_line_up_with_the_labelled_logits(tiny) -> None:
    loaded = tiny("llama")
    reply = _greedy(loaded, prompt_ids(loaded.tokenizer, question_prompt(QUESTION, CORPUS)), 3)
    with_teacher = teach(
        loaded, [_closed_book(loaded, reply)], {0: (QUESTION, CORPUS, (0, 3))}
    ).samples[0]
    assert with_teacher.teacher is not None
    plain = _closed_book(loaded, reply[:2])
    batch = [plain, with_teacher]
    ids, logprobs, has = teacher_tensors(batch, torch.device("cpu"))
    assert has.tolist() == [False, False, True, True, True]
    assert ids.shape == logprobs.shape == (5, TOP_K)
    logits, targets = labelled_logits(loaded.model, **collate(batch, 0, torch.device("cpu")))
    assert logits.shape[0] == ids.shape[0] == targets.shape[0]
    assert teacher_tensors([plain], torch.device("cpu")) is None


def test_training_with_teachers_moves_the_closed_book_answer_toward_the_teacher(tiny) -> None:
    loaded = tiny("llama")
    passage = CORPUS
    open_prompt = prompt_ids(loaded.tokenizer, question_prompt(QUESTION, passage))
    reply = _greedy(loaded, open_prompt, 3)
    taught = teach(loaded, [_closed_book(loaded, reply)], {0: (QUESTION, passage, (0, 3))})
    assert taught.taught == 1
    sample = taught.samples[0]
    config = LiftConfig(
        adapter="gated_memory",
        stage1_epochs=0,
        stage2_epochs=3,
        warmup_steps=1,
        learning_rate=1e-2,
        self_distillation=1.0,
        learn_until=None,
        checkpoint_every_steps=1000,
        seed=1,
    )

    def kl_now() -> float:
        ids, logprobs, has = teacher_tensors([sample], torch.device("cpu"))
        with torch.no_grad():
            inputs = {
                "input_ids": torch.tensor([sample.input_ids]),
                "attention_mask": torch.ones(1, len(sample.input_ids), dtype=torch.long),
                "labels": torch.tensor([sample.labels]),
            }
            logits, _ = labelled_logits(loaded.model, **inputs)
        return distillation_kl(logits, ids, logprobs, has).item()

    adapter = create_adapter(loaded, config)
    before = kl_now()
    LiftTrainer(loaded, adapter, config, None).train([Stage("segments+qa", [sample] * 4, 3)])
    assert kl_now() < before


def test_ingest_reports_the_teachers_accuracy(tiny, tmp_store, small_config) -> None:
    loaded = tiny("llama")
    config = small_config.model_copy(
        update={
            "stage1_epochs": 0,
            "retention_samples": 0,
            "learn_until": None,
            "self_distillation": 0.5,
        }
    )
    said: list[str] = []
    result = ingest(
        [Document("doc", CORPUS)],
        "distilled",
        store=tmp_store,
        model=loaded,
        config=config,
        on_stage=said.append,
    )
    assert result.manifest.config["self_distillation"] == 0.5
    line = next(s for s in said if s.startswith("self-distillation"))
    assert "training questions" in line
