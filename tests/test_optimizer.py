"""LoRA+ learning rates: the B factors at a multiple of the scheduled rate, through resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from test_train import config as trainer_config
from test_train import stages

from lift_memory.adapters import create_adapter
from lift_memory.config import LiftConfig
from lift_memory.optimizer import adapter_optimizer, set_learning_rate
from lift_memory.train import LiftTrainer, TrainProgress


def config(**lora) -> LiftConfig:
    """The trainer tests' settings, on a LoRA at its own learning rate."""
    return trainer_config(
        adapter="lora",
        learning_rate=2e-3,
        checkpoint_every_steps=2,
        lora={"top_layers": None, "fitted_relevance_gate": False, **lora},
    )


def test_without_a_ratio_one_group_holds_every_parameter(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, config())
    optimizer = adapter_optimizer(adapter, config())
    assert len(optimizer.param_groups) == 1
    assert optimizer.param_groups[0]["params"] == list(adapter.parameters())


def test_the_b_factors_learn_at_the_ratio_through_the_schedule(tiny) -> None:
    cfg = config(loraplus_lr_ratio=16)
    loaded = tiny("llama")
    adapter = create_adapter(loaded, cfg)
    optimizer = adapter_optimizer(adapter, cfg)
    slow, fast = optimizer.param_groups
    b_factors = {id(p) for p in adapter.b_factors()}
    assert b_factors and {id(p) for p in fast["params"]} == b_factors
    assert not b_factors & {id(p) for p in slow["params"]}
    assert len(slow["params"]) + len(fast["params"]) == len(list(adapter.parameters()))
    set_learning_rate(optimizer, 1e-4)
    assert slow["lr"] == pytest.approx(1e-4)
    assert fast["lr"] == pytest.approx(16e-4)


def test_a_gated_memory_takes_no_ratio() -> None:
    with pytest.raises(ValueError, match="loraplus_lr_ratio"):
        LiftConfig(adapter="gated_memory", lora={"loraplus_lr_ratio": 16})


def test_the_ratio_changes_what_is_learned(tiny) -> None:
    trained = {}
    for ratio in (None, 16):
        cfg = config(loraplus_lr_ratio=ratio)
        loaded = tiny("llama")
        adapter = create_adapter(loaded, cfg)
        LiftTrainer(loaded, adapter, cfg).train(stages(loaded, cfg))
        trained[ratio] = adapter.tensors()
    differ = [k for k in trained[None] if not torch.equal(trained[None][k], trained[16][k])]
    assert differ


def test_an_interrupted_loraplus_training_resumes_to_the_same_adapter(tiny, tmp_path: Path) -> None:
    cfg = config(loraplus_lr_ratio=16)
    loaded = tiny("llama")
    uninterrupted = create_adapter(loaded, cfg)
    LiftTrainer(loaded, uninterrupted, cfg).train(stages(loaded, cfg))

    loaded = tiny("llama")
    adapter = create_adapter(loaded, cfg)
    trainer = LiftTrainer(loaded, adapter, cfg, tmp_path)

    def stop(progress: TrainProgress) -> None:
        if progress.step == 3:
            trainer.stop_requested = True

    trainer.on_progress = stop
    with pytest.raises(KeyboardInterrupt):
        trainer.train(stages(loaded, cfg))

    fresh = tiny("llama")
    resumed = create_adapter(fresh, cfg)
    LiftTrainer(fresh, resumed, cfg, tmp_path).train(stages(fresh, cfg), resume=True)
    expected = uninterrupted.tensors()
    for key, value in resumed.tensors().items():
        assert torch.allclose(value, expected[key], atol=1e-6), key
