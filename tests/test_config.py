"""LiftConfig: validated ranges, unknown keys refused, JSON round trip."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from lift_memory.config import DEFAULT_LEARNING_RATES, LiftConfig, LoraSettings
from lift_memory.gated_memory import GatedMemorySettings


def test_defaults_are_valid() -> None:
    config = LiftConfig()
    assert config.segment_stride < config.segment_length
    # the default memory is a LoRA in the top 12 layers, without the context samples
    assert config.adapter == "lora" and config.learning_rate == 2e-3
    assert (config.lora.rank, config.lora.alpha, config.lora.top_layers) == (32, 64, 12)
    assert not config.contextualized and config.qa_with_context_fraction == 0.0
    assert config.stage1_epochs + config.stage2_epochs > 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"segment_length": 64, "segment_stride": 64},
        {"segment_length": 64, "segment_stride": 100},
        {"segment_stride": 0},
        {"segment_length": 8},
        {"learning_rate": -1e-3},
        {"learning_rate": 0.0},
        {"stage1_epochs": 0, "stage2_epochs": 0},
        {"stage1_epochs": -1},
        {"qa_count": -1},
        {"qa_with_context_fraction": 1.5},
        {"max_batch_tokens": 0},
        {"max_grad_norm": 0.0},
        {"context_window": 4},
        {"adapter": "ia3"},
        {"qa_generator": "magic"},
        {"seed": -1},
        {"no_such_setting": 1},
        {"gated_memory": {"hidden_multiplier": 0}},
        {"gated_memory": {"unknown": True}},
        {"lora": {"rank": 0}},
    ],
)
def test_invalid_settings_are_rejected(overrides: dict) -> None:
    with pytest.raises(ValidationError):
        LiftConfig(**overrides)


def test_error_names_the_offending_values() -> None:
    with pytest.raises(ValidationError, match=r"segment_stride \(64\).*segment_length \(64\)"):
        LiftConfig(segment_length=64, segment_stride=64)
    with pytest.raises(ValidationError, match="stage2_epochs"):
        LiftConfig(stage1_epochs=0, stage2_epochs=0)


def test_one_stage_alone_is_fine() -> None:
    assert LiftConfig(stage1_epochs=0, stage2_epochs=3).stage2_epochs == 3
    assert LiftConfig(stage1_epochs=2, stage2_epochs=0).stage1_epochs == 2


def test_config_is_frozen() -> None:
    config = LiftConfig()
    with pytest.raises(ValidationError):
        config.learning_rate = 1.0  # type: ignore[misc]


def test_json_round_trip() -> None:
    config = LiftConfig(
        segment_length=64,
        segment_stride=32,
        context_window=48,
        adapter="lora",
        lora=LoraSettings(rank=4, alpha=8, target_modules=["q_proj", "v_proj"]),
        gated_memory=GatedMemorySettings(layers=[0, 2], hidden_multiplier=3, gate_bias_init=-2.0),
        qa_count=5,
        learning_rate=3e-4,
        seed=42,
    )
    assert LiftConfig.model_validate_json(config.model_dump_json()) == config
    dumped = config.model_dump(mode="json")
    assert json.loads(json.dumps(dumped)) == dumped
    assert LiftConfig.model_validate(dumped) == config
    assert LiftConfig.model_validate(LiftConfig().model_dump(mode="json")) == LiftConfig()


def test_learning_rate_follows_the_adapter_when_left_out() -> None:
    assert LiftConfig().learning_rate == DEFAULT_LEARNING_RATES["lora"] == 2e-3
    assert LiftConfig(adapter="gated_memory").learning_rate == 1e-2
    assert LiftConfig.model_validate({"adapter": "pissa"}).learning_rate == 2e-3
    # a learning rate given is kept, whatever the adapter
    assert LiftConfig(adapter="lora", learning_rate=5e-3).learning_rate == 5e-3
    # a dumped config (a manifest's) comes back with the rate it trained at
    lora = LiftConfig(adapter="lora")
    assert LiftConfig.model_validate(lora.model_dump()).learning_rate == 2e-3
