"""`lift-memory bench --perf` (= python -m lift_memory_bench.perf) runs end to end on a tiny model and reports every ratio it promises.

Speed itself is never asserted here (shared, noisy machines): only that each figure is measured
and consistent with the raw numbers behind it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("perf")
    cli = Path(sys.executable).parent / "lift-memory"
    subprocess.run(
        [str(cli), "bench", "--perf", "--quick", "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads((out / "perf.json").read_text())
    data["_markdown"] = (out / "perf.md").read_text()
    return data


def test_every_ratio_is_measured_and_positive(report: dict) -> None:
    ratios = report["ratios"]
    assert set(ratios) == {
        "lift_over_lora_tokens_per_s",
        "lift_flops_fraction_of_matmul",
        "ask_p50_large_over_small",
        "icl_200_over_memory_p50",
        "icl_400_over_memory_p50",
        "adapter_over_base_bytes",
    }
    assert all(value > 0 for value in ratios.values())
    assert 0 < ratios["lift_flops_fraction_of_matmul"] < 1


def test_both_training_loops_ran_the_same_steps(report: dict) -> None:
    lift, lora = report["lift"], report["lora"]
    assert lift["train_steps"] == lora["train_steps"] > 0
    assert lift["train_tokens"] == lora["train_tokens"]
    assert lift["tokens_per_s"] == pytest.approx(lift["train_tokens"] / lift["train_s"])


def test_latency_uses_enough_questions_and_corpora_of_the_stated_sizes(report: dict) -> None:
    latency = report["memory_latency"]
    assert latency["small"]["n"] >= 20 and latency["large"]["n"] >= 20
    # both memories timed in alternating rounds, so machine drift hits them alike
    assert latency["rounds"] >= 2
    assert latency["small"]["n"] == latency["large"]["n"] == 20 * latency["rounds"]
    assert latency["large"]["corpus_tokens"] >= 8 * latency["small"]["corpus_tokens"]
    assert latency["small"]["p95_s"] >= latency["small"]["p50_s"]


def test_markdown_names_every_measure(report: dict) -> None:
    text = report["_markdown"]
    for phrase in ("plain LoRA loop", "matmul FLOP/s", "large / small corpus", "ICL", "adapter"):
        assert phrase in text
