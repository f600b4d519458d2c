"""The LIFT trainer: frozen base, learning, progress, determinism, checkpoints and resume."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lift_memory.adapters import create_adapter
from lift_memory.batches import collate, make_batches
from lift_memory.config import LiftConfig
from lift_memory.prompts import TrainingSample
from lift_memory.segments import Document, segment_samples, tokenize_documents
from lift_memory.train import CHECKPOINT_FILE, LiftTrainer, Stage, TrainProgress, _learning_rate

TEXT = "Ilse keeps the lighthouse at Varrow Point; the lamp is lit at dusk. " * 3


def config(**overrides) -> LiftConfig:
    values = dict(
        adapter="gated_memory",  # the trainer's tests were set with the Gated Memory's rates
        segment_length=32,
        segment_stride=16,
        max_batch_tokens=64,
        stage1_epochs=2,
        stage2_epochs=1,
        warmup_steps=1,
        learning_rate=1e-2,
        checkpoint_every_steps=1000,
        seed=7,
    )
    values.update(overrides)
    return LiftConfig(**values)


def stages(loaded, cfg: LiftConfig, text: str = TEXT) -> list[Stage]:
    tokenized = tokenize_documents(loaded.tokenizer, [Document("doc", text)])
    segments = segment_samples(tokenized, cfg.segment_length, cfg.segment_stride)
    return [
        Stage("segments", segments, cfg.stage1_epochs),
        Stage("segments+qa", segments, cfg.stage2_epochs),
    ]


def run(tiny, cfg: LiftConfig, checkpoint_dir: Path | None = None, on_progress=None):
    loaded = tiny("llama")
    adapter = create_adapter(loaded, cfg)
    trainer = LiftTrainer(loaded, adapter, cfg, checkpoint_dir, on_progress=on_progress)
    result = trainer.train(stages(loaded, cfg))
    return loaded, adapter, trainer, result


def clone(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in tensors.items()}


def test_base_weights_stay_bit_identical_while_the_adapter_learns(tiny) -> None:
    loaded = tiny("llama")
    base = clone(loaded.model.state_dict())
    cfg = config()
    adapter = create_adapter(loaded, cfg)
    initial = clone(adapter.tensors())
    LiftTrainer(loaded, adapter, cfg).train(stages(loaded, cfg))
    after = loaded.model.state_dict()
    for name, tensor in base.items():
        assert torch.equal(after[name], tensor), name
    trained = adapter.tensors()
    assert any(not torch.equal(initial[k], trained[k]) for k in initial)
    assert all(not p.requires_grad for n, p in loaded.model.named_parameters() if "gated" not in n)
    assert not loaded.model.training  # back in eval mode


def test_loss_decreases_on_repeated_text(tiny) -> None:
    losses: dict[int, list[float]] = {}
    cfg = config(stage1_epochs=8, stage2_epochs=0, learning_rate=5e-2)
    _, _, _, result = run(
        tiny, cfg, on_progress=lambda p: losses.setdefault(p.epoch, []).append(p.loss)
    )
    first = sum(losses[1]) / len(losses[1])
    last = sum(losses[8]) / len(losses[8])
    assert last < first - 0.3, (first, last)  # ~5.5 (uniform over 259 bytes) → ~4.9
    assert result.stage_losses["segments"] < first
    assert result.steps == sum(len(v) for v in losses.values())
    assert result.tokens > 0


def test_progress_reports_monotonic_steps(tiny) -> None:
    seen: list[TrainProgress] = []
    _, _, _, result = run(tiny, config(), on_progress=seen.append)
    steps = [p.step for p in seen]
    assert steps == list(range(1, len(seen) + 1))
    total = seen[0].total_steps
    assert total == len(seen) == result.steps
    assert all(p.total_steps == total for p in seen)
    assert all(p.eta_s >= 0 and p.elapsed_s >= 0 for p in seen)
    assert seen[-1].eta_s == 0
    assert {p.stage for p in seen} == {"segments", "segments+qa"}
    assert all(1 <= p.epoch <= p.epochs for p in seen)
    assert all(p.tokens_per_s >= 0 and p.loss == p.loss for p in seen)


def test_same_seed_gives_identical_adapters(tiny) -> None:
    _, first, _, _ = run(tiny, config())
    _, second, _, _ = run(tiny, config())
    a, b = first.tensors(), second.tensors()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_a_checkpoint_is_written_at_epoch_end(tiny, tmp_path: Path) -> None:
    cfg = config(stage1_epochs=1, stage2_epochs=0)
    run(tiny, cfg, checkpoint_dir=tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / CHECKPOINT_FILE).is_file()


@pytest.mark.parametrize("stop_at", [1, 3, 5])
def test_interrupted_training_resumes_to_the_same_adapter(
    tiny, tmp_path: Path, stop_at: int
) -> None:
    cfg = config(checkpoint_every_steps=2)
    _, uninterrupted, _, full = run(tiny, cfg)
    assert full.steps > stop_at

    checkpoints = tmp_path / "ckpt"
    loaded = tiny("llama")
    adapter = create_adapter(loaded, cfg)
    trainer = LiftTrainer(loaded, adapter, cfg, checkpoints)

    def stop(progress: TrainProgress) -> None:
        if progress.step == stop_at:
            trainer.stop_requested = True

    trainer.on_progress = stop
    with pytest.raises(KeyboardInterrupt):
        trainer.train(stages(loaded, cfg))
    assert (checkpoints / CHECKPOINT_FILE).is_file()

    fresh = tiny("llama")
    resumed_adapter = create_adapter(fresh, cfg)
    seen: list[int] = []
    resumed = LiftTrainer(
        fresh, resumed_adapter, cfg, checkpoints, on_progress=lambda p: seen.append(p.step)
    )
    result = resumed.train(stages(fresh, cfg), resume=True)
    assert result.resumed_from_step == stop_at
    assert seen[0] == stop_at + 1  # no step is trained twice
    # the resumed run reports the whole training, the interrupted attempt's tokens and time too
    assert result.tokens == full.tokens
    assert result.seconds > resumed.restored_totals[1] > 0
    expected = uninterrupted.tensors()
    for key, value in resumed_adapter.tensors().items():
        assert torch.allclose(value, expected[key], atol=1e-6), key


def test_resume_without_checkpoint_starts_from_zero(tiny, tmp_path: Path) -> None:
    cfg = config(stage2_epochs=0)
    loaded = tiny("llama")
    trainer = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg, tmp_path / "none")
    assert trainer.train(stages(loaded, cfg), resume=True).resumed_from_step == 0


def sample(length: int, kind: str) -> TrainingSample:
    return TrainingSample(list(range(length)), list(range(length)), kind)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 300), st.sampled_from(["segment", "qa", "retention"])),
        max_size=60,
    ),
    st.integers(16, 1024),
    st.integers(0, 2**32 - 1),
)
def test_make_batches_respects_the_token_budget_and_kinds(
    spec: list[tuple[int, str]], budget: int, seed: int
) -> None:
    samples = [sample(length, kind) for length, kind in spec]
    batches = make_batches(samples, budget, seed)
    assert all(batches)
    for batch in batches:
        assert len({s.kind for s in batch}) == 1
        padded = max(len(s.input_ids) for s in batch) * len(batch)
        assert padded <= budget or len(batch) == 1
    flat = [s for batch in batches for s in batch]
    assert Counter(id(s) for s in flat) == Counter(id(s) for s in samples)
    assert make_batches(samples, budget, seed) == batches  # deterministic for a seed


@pytest.mark.parametrize("retention_loss", ["kl", "ce"])
def test_the_retention_weight_scales_only_the_retention_batches_loss(tiny, retention_loss) -> None:
    loaded = tiny("llama")
    ids = loaded.tokenizer("The lamp is lit at dusk.", add_special_tokens=False)["input_ids"]
    sample = TrainingSample(input_ids=ids, labels=list(ids), kind="retention")
    inputs = collate([sample], 0, loaded.device)
    losses = {}
    for weight in (1.0, 3.0):
        cfg = config(retention_weight=weight, retention_loss=retention_loss)
        adapter = create_adapter(loaded, cfg)
        torch.manual_seed(0)
        for parameter in adapter.parameters():  # an adapter that moves the output (KL > 0)
            parameter.data.normal_(0.0, 0.05)
        trainer = LiftTrainer(loaded, adapter, cfg, None)
        losses[weight] = {
            kind: trainer.batch_loss(kind, inputs, [sample]).item() for kind in ("retention", "qa")
        }
        adapter.detach()
    assert losses[1.0]["retention"] > 0
    assert losses[3.0]["retention"] == pytest.approx(3 * losses[1.0]["retention"], rel=1e-5)
    assert losses[3.0]["qa"] == pytest.approx(losses[1.0]["qa"], rel=1e-5)


def test_the_learning_rate_can_reach_its_floor_early() -> None:
    whole = LiftConfig(learning_rate=1e-2, warmup_steps=5, lr_decay_share=1.0)
    early = LiftConfig(learning_rate=1e-2, warmup_steps=5)  # the default, 0.4
    total = 1005
    rates = [_learning_rate(step, total, early) for step in range(total)]
    # the warm-up is the same; the cosine ends at the floor after 40 % of the planned steps
    assert rates[:5] == [_learning_rate(step, total, whole) for step in range(5)]
    assert rates[402] == pytest.approx(1e-3) and rates[-1] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(rates[5:], rates[6:], strict=False))
    # at 1.0 the floor comes at the last planned step only, as before the twenty-fourth session
    assert _learning_rate(total - 1, total, whole) == pytest.approx(1e-3, rel=1e-3)
    assert _learning_rate(402, total, whole) > 5e-3
