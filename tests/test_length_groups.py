"""Length groups: a step runs its samples in groups of similar length and accumulates their
gradients — less padding, the same update (lift_memory/batches.py, train.py)."""

from __future__ import annotations

import pytest
import torch

from lift_memory.adapters import create_adapter
from lift_memory.batches import length_groups
from lift_memory.config import LiftConfig
from lift_memory.prompts import TrainingSample, chat_sample
from lift_memory.segments import Document, segment_samples, tokenize_documents
from lift_memory.train import LiftTrainer, Stage


def sample(length: int) -> TrainingSample:
    return TrainingSample(input_ids=[1] * length, labels=[1] * length, kind="segment")


def padded(groups: list[list[TrainingSample]]) -> int:
    return sum(max(len(s.input_ids) for s in group) * len(group) for group in groups)


def test_groups_cover_the_batch_in_length_order_with_less_padding() -> None:
    batch = [sample(n) for n in (250, 40, 60, 245, 55, 256, 42)]
    groups = length_groups(batch)
    assert sorted(len(s.input_ids) for g in groups for s in g) == sorted(
        len(s.input_ids) for s in batch
    )
    lengths = [[len(s.input_ids) for s in g] for g in groups]
    assert lengths == [[40, 42, 55, 60], [245, 250, 256]]
    assert padded(groups) < padded([batch]) * 0.6


def test_a_split_must_save_more_padding_than_it_costs() -> None:
    alike = [sample(n) for n in (60, 62, 64, 61)]
    assert length_groups(alike) == [sorted(alike, key=lambda s: len(s.input_ids))]
    assert len(length_groups(alike, overhead_tokens=0)) > 1  # free splits: every length alone
    assert length_groups([sample(5)]) == [[sample(5)]]


@pytest.mark.parametrize("retention", ["kl", "ce"])
def test_training_in_length_groups_matches_training_in_whole_batches(
    tiny, monkeypatch: pytest.MonkeyPatch, retention: str
) -> None:
    from lift_memory import train

    splits: list[int] = []

    def counted(samples):
        groups = length_groups(samples)
        splits.append(len(groups))
        return groups

    results = {}
    for grouped in (False, True):
        if not grouped:
            monkeypatch.setattr(LiftTrainer, "_parts", lambda self, samples: [samples])
        else:
            monkeypatch.undo()
            monkeypatch.setattr(train, "length_groups", counted)
        loaded = tiny("llama", num_layers=4)
        cfg = LiftConfig(
            lora={"top_layers": 2, "rank": 4},
            max_batch_tokens=1024,
            warmup_steps=1,
            seed=3,
            retention_loss=retention,
            precision="fp32",  # an exact rearrangement; bf16 products round per batch shape
        )
        adapter = create_adapter(loaded, cfg)
        trainer = LiftTrainer(loaded, adapter, cfg)
        text = "Ilse keeps the lighthouse at Varrow Point; the lamp is lit at dusk. " * 3
        segments = segment_samples(
            tokenize_documents(loaded.tokenizer, [Document("doc", text)]), 96, 48
        )
        short = [chat_sample(loaded.tokenizer, "Who?", "Ilse.", "qa")]
        long = [
            chat_sample(loaded.tokenizer, "Who keeps the lamp at the point?" * 3, "Ilse.", "qa")
        ]
        kept = [
            chat_sample(loaded.tokenizer, "Hi" * n, "Hello there.", "retention") for n in (1, 30)
        ]
        result = trainer.train([Stage("all", segments + (short + long) * 2 + kept, 2)])
        results[grouped] = (result.final_loss, result.tokens, adapter.tensors())
    assert max(splits) > 1  # some steps ran in several groups
    (loss_off, tokens_off, tensors_off), (loss_on, tokens_on, tensors_on) = results.values()
    assert tokens_on == tokens_off  # real tokens, as before
    assert loss_on == pytest.approx(loss_off, rel=1e-4)
    for key, value in tensors_off.items():
        torch.testing.assert_close(tensors_on[key], value, rtol=1e-3, atol=1e-5)


def test_losses_that_are_not_a_mean_over_positions_keep_the_whole_batch(tiny) -> None:
    loaded = tiny("llama", num_layers=4)
    batch = [sample(n) for n in (40, 250, 45, 240)]
    for settings, whole in (
        ({}, False),
        ({"retention_gate_penalty": 0.5}, True),  # a mean gate over the padded batch
        ({"self_distillation": 1.0}, True),  # a KL averaged over the taught rows
    ):
        cfg = LiftConfig(lora={"top_layers": 2, "rank": 4}, **settings)
        trainer = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg)
        assert (trainer._parts(batch) == [batch]) == whole, settings
        trainer.adapter.detach()
