"""Training's arithmetic: float32, or bfloat16 matrix products where the chip has them."""

from __future__ import annotations

import pytest
import torch

from lift_memory.adapters import create_adapter
from lift_memory.config import LiftConfig
from lift_memory.extractable import reply_min_probabilities
from lift_memory.precision import native_bf16, training_autocast, uses_bf16
from lift_memory.prompts import TrainingSample
from lift_memory.train import LiftTrainer, Stage

CPU = torch.device("cpu")


def test_fp32_never_and_bf16_always_autocast() -> None:
    assert not uses_bf16("fp32", CPU)
    assert uses_bf16("bf16", CPU)
    assert uses_bf16("auto", CPU) == native_bf16(CPU)
    assert not uses_bf16("auto", torch.device("meta"))


def test_auto_leaves_the_gated_memory_in_fp32_and_bf16_forces_it() -> None:
    assert not uses_bf16("auto", CPU, "gated_memory")
    assert uses_bf16("auto", CPU, "lora") == native_bf16(CPU)
    assert uses_bf16("bf16", CPU, "gated_memory")


def test_the_autocast_runs_products_in_bf16_and_leaves_weights_float32() -> None:
    layer = torch.nn.Linear(8, 4)
    x = torch.randn(2, 8)
    with training_autocast("bf16", CPU):
        assert layer(x).dtype == torch.bfloat16
    with training_autocast("fp32", CPU):
        assert layer(x).dtype == torch.float32
    assert layer.weight.dtype == torch.float32


def _samples(loaded) -> list[TrainingSample]:
    ids = loaded.tokenizer("Ilse keeps the lighthouse at Varrow Point.")["input_ids"]
    return [TrainingSample(list(ids), list(ids), "segment") for _ in range(4)]


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_runs_and_learns_in_either_precision(tiny, precision: str) -> None:
    loaded = tiny("llama")
    config = LiftConfig(
        adapter="lora",
        lora={"top_layers": 1},  # the layer below is replayed from the frozen cache
        precision=precision,
        stage1_epochs=6,
        stage2_epochs=0,
        learning_rate=1e-2,
        warmup_steps=1,
        seed=3,
    )
    adapter = create_adapter(loaded, config)
    trainer = LiftTrainer(loaded, adapter, config)
    samples = _samples(loaded)
    before = reply_min_probabilities(loaded, samples[:1])[0]
    result = trainer.train([Stage("segments", samples, 6)])
    after = reply_min_probabilities(loaded, samples[:1])[0]
    assert torch.isfinite(torch.tensor(result.final_loss))
    assert after > before
    # the trained adapter and the optimizer's moments stay float32 under bf16 autocast
    assert all(t.dtype == torch.float32 for t in adapter.tensors().values())
    assert not torch.is_autocast_enabled("cpu")  # the context ends with the training


def test_a_bf16_step_computes_the_fp32_loss_to_bf16_rounding(tiny) -> None:
    losses = {}
    for precision in ("fp32", "bf16"):
        loaded = tiny("llama")
        config = LiftConfig(
            adapter="lora", precision=precision, learning_rate=1e-2, warmup_steps=1, seed=3
        )
        trainer = LiftTrainer(loaded, create_adapter(loaded, config), config)
        # one batch, one step: the loss is computed before the update changes anything
        losses[precision] = trainer.train([Stage("segments", _samples(loaded), 1)]).final_loss
    assert losses["bf16"] != losses["fp32"]
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=0.01)


def test_a_small_lora_update_survives_the_bf16_sum() -> None:
    from peft import LoraConfig, inject_adapter_in_model

    class Projection(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = torch.nn.Linear(8, 8, bias=False)

    model = inject_adapter_in_model(LoraConfig(r=4, target_modules=["proj"]), Projection())
    with torch.no_grad():
        model.proj.base_layer.weight.fill_(1.0)  # outputs of 8.0: bf16 steps of 1/32 there
        model.proj.lora_A["default"].weight.fill_(1.0)
        model.proj.lora_B["default"].weight.fill_(1e-5)  # an update of ~3e-3
    x = torch.ones(1, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        rounded = model.proj(x)
    with training_autocast("bf16", CPU, model):
        kept = model.proj(x)
    assert torch.all(rounded.float() == 8.0)  # peft's own sum in bf16 loses the update
    assert kept.dtype == torch.float32 and torch.all(kept > 8.0)
    assert not torch.is_autocast_enabled("cpu")


@pytest.mark.parametrize(("adapter", "bf16"), [("lora", True), ("gated_memory", False)])
def test_auto_trains_the_lora_in_bf16_and_the_gated_memory_in_fp32(
    tiny, monkeypatch: pytest.MonkeyPatch, adapter: str, bf16: bool
) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True, raising=False)
    loaded = tiny("llama")
    config = LiftConfig(adapter=adapter, precision="auto")
    trainer = LiftTrainer(loaded, create_adapter(loaded, config), config)
    with trainer._autocast():
        assert torch.is_autocast_enabled("cpu") == bf16
