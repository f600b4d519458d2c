"""One perf run: every measurement in order, written to ``perf.json`` and ``perf.md``."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from lift_memory.models import LoadedModel, load_model
from lift_memory.store import MemoryStore
from lift_memory_bench.perf.latency import measure_icl_latency, measure_memory_latency
from lift_memory_bench.perf.machine import matmul_flops_per_s
from lift_memory_bench.perf.profile import FULL, QUICK
from lift_memory_bench.perf.report import perf_markdown
from lift_memory_bench.perf.text import fictional_text
from lift_memory_bench.perf.training import measure_lift_ingest, measure_lora_loop


def _load(model: str, home: Path) -> LoadedModel:
    if model.startswith("tiny-"):
        from lift_memory.tiny import tiny_model

        return tiny_model(model.removeprefix("tiny-"), num_layers=4)  # type: ignore[arg-type]
    return load_model(model, home=None)


def run_perf(
    out_dir: Path,
    quick: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> dict:
    """Run every measurement, write ``perf.json`` and ``perf.md`` under ``out_dir``."""
    profile = QUICK if quick else FULL
    say = on_step or (lambda message: print(message, file=sys.stderr, flush=True))
    if profile.threads:
        torch.set_num_threads(profile.threads)
    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict = {"profile": asdict(profile), "threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory(prefix="lift-perf-") as tmp:
        store = MemoryStore(Path(tmp) / "home")
        say(f"loading {profile.model}")
        loaded = _load(profile.model, Path(tmp))
        text = fictional_text(profile.text_tokens, loaded, seed=1)
        say("measuring matmul FLOP/s")
        report["matmul_flops_per_s"] = matmul_flops_per_s(seconds=0.5 if quick else 3.0)
        say("LIFT ingest")
        report["lift"] = measure_lift_ingest(loaded, store, text, profile)
        say("plain PEFT LoRA loop")
        report["lora"] = measure_lora_loop(loaded, store, text, profile)
        say("memory-mode latency (small and large corpus)")
        report["memory_latency"] = measure_memory_latency(loaded, store, profile)
        say("full-context ICL latency")
        report["icl_latency"] = measure_icl_latency(loaded, profile)
        report["base_model_bytes"] = loaded.parameter_bytes()
    lift, lora = report["lift"], report["lora"]
    memory_p50 = report["memory_latency"]["small"]["p50_s"]
    report["ratios"] = {
        "lift_over_lora_tokens_per_s": lift["tokens_per_s"] / lora["tokens_per_s"],
        "lift_flops_fraction_of_matmul": lift["flops_per_s"] / report["matmul_flops_per_s"],
        "ask_p50_large_over_small": report["memory_latency"]["ratio_large_over_small_p50"],
        **{
            f"icl_{tokens}_over_memory_p50": report["icl_latency"][str(tokens)]["p50_s"]
            / memory_p50
            for tokens in profile.icl_tokens
        },
        "adapter_over_base_bytes": lift["adapter_bytes"] / report["base_model_bytes"],
    }
    (out_dir / "perf.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "perf.md").write_text(perf_markdown(report))
    return report
