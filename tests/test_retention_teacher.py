"""KL retention's teacher: the base model's states kept per retention sample
(lift_memory/retention_teacher.py)."""

from __future__ import annotations

import pytest
import torch

import lift_memory.retention_teacher as retention_teacher
from lift_memory.adapters import create_adapter
from lift_memory.batches import collate
from lift_memory.config import LiftConfig
from lift_memory.prompts import TrainingSample
from lift_memory.train import LiftTrainer

TEXTS = ["The lamp is lit at dusk.", "Gulls circle the harbour wall when the tide turns."]


def retention(loaded, text: str) -> TrainingSample:
    ids = loaded.tokenizer(text, add_special_tokens=False)["input_ids"]
    return TrainingSample(input_ids=ids, labels=list(ids), kind="retention")


def reference_kl(loaded, adapter, inputs) -> float:
    """The KL as computed before the states were kept: both full forwards, every position."""
    model, mask = loaded.model, inputs["attention_mask"].bool()
    with torch.no_grad():
        with adapter.disabled():
            teacher = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        student = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
    teacher_logp = torch.log_softmax(teacher.logits[mask].float(), dim=-1)
    student_logp = torch.log_softmax(student.logits[mask].float(), dim=-1)
    return torch.nn.functional.kl_div(
        student_logp, teacher_logp, log_target=True, reduction="batchmean"
    ).item()


@pytest.mark.parametrize("kind", ["lora", "gated_memory"])
def test_kept_teacher_states_give_the_same_kl_and_run_the_teacher_once(
    tiny, monkeypatch, kind
) -> None:
    loaded = tiny("llama")
    cfg = LiftConfig(adapter=kind, retention_loss="kl")
    adapter = create_adapter(loaded, cfg)
    torch.manual_seed(0)
    for parameter in adapter.parameters():  # an adapter that moves the output (KL > 0)
        parameter.data.normal_(0.0, 0.05)
    trainer = LiftTrainer(loaded, adapter, cfg, None)
    teacher_passes: list[int] = []
    whole = retention_teacher.hidden_states

    def counted(model, input_ids, attention_mask):
        teacher_passes.append(len(input_ids))
        return whole(model, input_ids, attention_mask)

    monkeypatch.setattr(retention_teacher, "hidden_states", counted)
    samples = [retention(loaded, text) for text in TEXTS]  # two lengths: one row is padded
    batch = collate(samples, 0, loaded.device)
    expected = reference_kl(loaded, adapter, batch)
    assert expected > 0
    first = trainer.batch_loss("retention", batch, samples).item()
    again = trainer.batch_loss("retention", batch, samples).item()
    assert teacher_passes == [2]  # the second time the kept states serve
    assert first == pytest.approx(expected, rel=1e-5)
    assert again == pytest.approx(expected, rel=1e-5)
    # another batch: the kept states, cut to the sample's own length
    alone = collate(samples[:1], 0, loaded.device)
    assert trainer.batch_loss("retention", alone, samples[:1]).item() == pytest.approx(
        reference_kl(loaded, adapter, alone), rel=1e-5
    )
    assert teacher_passes == [2] and len(trainer.teacher_states) == 2
    adapter.detach()


def test_a_batch_without_its_samples_is_taught_without_keeping_states(tiny) -> None:
    loaded = tiny("llama")
    cfg = LiftConfig(adapter="lora", retention_loss="kl")
    adapter = create_adapter(loaded, cfg)
    trainer = LiftTrainer(loaded, adapter, cfg, None)
    batch = collate([retention(loaded, TEXTS[0])], 0, loaded.device)
    assert trainer.batch_loss("retention", batch).item() == pytest.approx(
        reference_kl(loaded, adapter, batch), abs=1e-6
    )
    assert len(trainer.teacher_states) == 0
    adapter.detach()
