"""Ingest throughput and ask latency, measured as ratios in one run on one machine (issue #6).

What it measures, in this order (each step is independent of the ones after it):

1. the machine's dense float32 matmul FLOP/s (the ceiling);
2. LIFT ingest of a small fictional text with the default recipe (the segment geometry of the
   end-to-end recall test, whose bar it therefore shares): training
   tokens/s, FLOP/s achieved (counted by ``torch.utils.flop_counter`` on replayed batches),
   peak RSS;
3. the naive baseline a user would write: PEFT LoRA r=16 on every linear layer, the same model,
   the same training samples in the same batches, the same number of optimizer steps, the
   Hugging Face ``labels=`` loss — its tokens/s;
4. memory-mode answer latency (p50 over ≥ 20 questions, fixed-length generation so that answer
   length does not blur the ratio) for a memory of a 1k-token and of a 64k-token corpus;
5. full-context ICL latency at 4k and 8k prompt tokens (base model), against memory mode;
6. adapter bytes against base-model bytes.

``run_perf(out_dir, quick=True)`` does the same on a tiny random model in seconds (the CI test).
Run it: ``python benchmarks/perf.py`` or ``lift-memory bench --perf``.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from lift_memory.config import LiftConfig
from lift_memory.models import LoadedModel, load_model
from lift_memory.prompts import prompt_ids, question_prompt
from lift_memory.segments import Document
from lift_memory.store import MemoryStore


@dataclass(frozen=True)
class PerfProfile:
    """Sizes of one perf run; ``full`` is the real default model, ``quick`` a tiny one."""

    model: str = "smollm2-135m"
    text_tokens: int = 200
    lift_overrides: dict = field(
        default_factory=lambda: {
            "segment_length": 128,
            "segment_stride": 64,
            "context_window": 96,
        }
    )
    lora_rank: int = 16
    small_corpus_tokens: int = 1_000
    large_corpus_tokens: int = 64_000
    latency_questions: int = 20
    latency_rounds: int = 4  # alternating small/large rounds; see measure_memory_latency
    answer_tokens: int = 16
    icl_tokens: tuple[int, ...] = (4_000, 8_000)
    icl_repeats: int = 3
    threads: int = 0  # 0: torch's default


FULL = PerfProfile()
QUICK = PerfProfile(
    model="tiny-llama",
    lift_overrides={
        "segment_length": 64,
        "segment_stride": 32,
        "context_window": 48,
        "stage1_epochs": 2,
        "stage2_epochs": 2,
        "qa_count": 6,
        "qa_generator": "cloze",
        "retention_samples": 2,
        "max_batch_tokens": 256,
        "gated_memory": {"top_layers": 1},
    },
    lora_rank=4,
    small_corpus_tokens=300,
    large_corpus_tokens=3_000,
    latency_questions=20,
    latency_rounds=2,
    answer_tokens=4,
    icl_tokens=(200, 400),
    icl_repeats=2,
    threads=1,
)

_PEOPLE = ["Ilse", "Tomas", "Edda", "Orrin", "Maren", "Fenwick", "Quill", "Sabine", "Havel"]
_PLACES = ["Varnholm", "Kelby", "Skarra", "Mossgate", "Tallow Fen", "Brindle Cove", "Ostrava Key"]
_THINGS = ["lantern", "ledger", "ferry", "bell", "orchard", "loom", "compass", "kiln"]


def fictional_text(tokens: int, loaded: LoadedModel, seed: int = 0) -> str:
    """Invented sentences until the text holds about ``tokens`` tokens of the model's tokenizer."""
    rng = random.Random(seed)
    sentences: list[str] = []
    count = 0
    while count < tokens:
        sentence = (
            f"In {rng.randint(1700, 1999)} {rng.choice(_PEOPLE)} of {rng.choice(_PLACES)} "
            f"kept a {rng.choice(_THINGS)} numbered {rng.randint(10, 9999)} near the "
            f"{rng.choice(_THINGS)} of {rng.choice(_PLACES)}."
        )
        sentences.append(sentence)
        count += len(loaded.tokenizer(" " + sentence, add_special_tokens=False)["input_ids"])
    return " ".join(sentences)


def matmul_flops_per_s(seconds: float = 2.0, size: int = 1024) -> float:
    """Dense float32 matmul throughput of this machine with the current thread setting."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):  # warm-up
        a @ b
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        runs += 1
    return 2 * size**3 * runs / (time.perf_counter() - started)


def _peak_rss_bytes() -> int:
    # ru_maxrss is KiB on Linux, bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _load(model: str, home: Path) -> LoadedModel:
    if model.startswith("tiny-"):
        from lift_memory.tiny import tiny_model

        return tiny_model(model.removeprefix("tiny-"), num_layers=4)  # type: ignore[arg-type]
    return load_model(model, home=None)


def _lift_config(profile: PerfProfile, **extra: object) -> LiftConfig:
    return LiftConfig.model_validate({**profile.lift_overrides, **extra})


def measure_lift_ingest(
    loaded: LoadedModel, store: MemoryStore, text: str, profile: PerfProfile
) -> dict:
    """Ingest ``text`` with the default recipe; tokens/s of training and counted FLOPs."""
    from lift_memory.ingest import ingest

    config = _lift_config(profile)
    result = ingest([Document("text", text)], "perf-lift", store=store, model=loaded, config=config)
    stages = _stages_of(loaded, store, "perf-lift", text, config)
    flops = _training_flops(loaded, config, stages)
    return {
        "train_tokens": result.train.tokens,
        "train_steps": result.train.steps,
        "train_s": result.train.seconds,
        "tokens_per_s": result.train.tokens_per_s,
        "flops": flops,
        "flops_per_s": flops / result.train.seconds,
        "adapter_bytes": result.manifest.adapter_bytes,
        "trainable_params": _gated_memory_params(loaded, config),
        "peak_rss_bytes": _peak_rss_bytes(),
    }


def _stages_of(loaded: LoadedModel, store: MemoryStore, name: str, text: str, config: LiftConfig):
    """Rebuild exactly the stages an ingest trained on, from what it kept on disk."""
    from lift_memory.ingest import RETENTION_FILE, training_stages
    from lift_memory.qa import read_qa_jsonl

    pairs = read_qa_jsonl(store.qa_path(name))
    lines = (store.path(name) / RETENTION_FILE).read_text().splitlines()
    retention = [tuple(json.loads(line)) for line in lines if line]
    stages = training_stages(loaded, [Document("text", text)], pairs, retention, config)
    return [stage for stage in stages if stage.epochs > 0]


def _gated_memory_params(loaded: LoadedModel, config: LiftConfig) -> int:
    from lift_memory.adapters import create_adapter

    adapter = create_adapter(loaded, config)
    try:
        return sum(p.numel() for p in adapter.parameters())
    finally:
        adapter.detach()


def _training_flops(loaded: LoadedModel, config: LiftConfig, stages: list) -> float:
    """FLOPs of the whole training run: counted per token on a few replayed batches per kind.

    Counting every step under ``FlopCounterMode`` would slow the timed run; FLOPs per token
    depend on the batch kind (segment, QA, retention), so each kind is counted on up to three of
    its batches and scaled by the tokens of that kind in the whole plan.
    """
    from torch.utils.flop_counter import FlopCounterMode

    from lift_memory.adapters import create_adapter
    from lift_memory.train import LiftTrainer, collate

    adapter = create_adapter(loaded, config)
    trainer = LiftTrainer(loaded, adapter, config)
    trainer.frozen_cache = trainer._frozen_cache(stages)
    pad_id = loaded.tokenizer.pad_token_id or 0
    plan = [batch for stage in trainer.plan(stages) for epoch in stage for batch in epoch]
    tokens_by_kind: dict[str, int] = {}
    for batch in plan:
        kind = batch[0].kind
        tokens_by_kind[kind] = tokens_by_kind.get(kind, 0) + sum(len(s.input_ids) for s in batch)
    total = 0.0
    try:
        for kind, kind_tokens in tokens_by_kind.items():
            sample = [batch for batch in plan if batch[0].kind == kind][:3]
            counted_flops, counted_tokens = 0, 0
            for batch in sample:
                inputs = collate(batch, pad_id, loaded.device)
                if trainer.frozen_cache is not None:
                    trainer.frozen_cache.fill([batch], pad_id, loaded.device)
                with FlopCounterMode(display=False) as counter:
                    with trainer._skip_frozen_layers(batch, inputs, pad_id):
                        loss = trainer.batch_loss(kind, inputs)
                    loss.backward()
                counted_flops += counter.get_total_flops()
                counted_tokens += sum(len(s.input_ids) for s in batch)
            total += counted_flops / counted_tokens * kind_tokens
    finally:
        adapter.detach()
        loaded.model.eval()
    return total


def measure_lora_loop(
    loaded: LoadedModel, store: MemoryStore, text: str, profile: PerfProfile
) -> dict:
    """The plain PEFT LoRA loop over the same batches and number of steps as the LIFT ingest."""
    from peft import LoraConfig, get_peft_model

    from lift_memory.train import collate, plan_batches

    config = _lift_config(profile)
    stages = _stages_of(loaded, store, "perf-lift", text, config)
    plan = [batch for stage in plan_batches(stages, config) for epoch in stage for batch in epoch]
    lora = LoraConfig(
        r=profile.lora_rank, lora_alpha=2 * profile.lora_rank, target_modules="all-linear"
    )
    model = get_peft_model(loaded.model, lora)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=1e-3)
    pad_id = loaded.tokenizer.pad_token_id or 0
    model.train()
    tokens, started = 0, time.perf_counter()
    for batch in plan:
        inputs = collate(batch, pad_id, loaded.device)
        loss = model(**inputs).loss  # transformers' own loss over the full logits
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += int(inputs["attention_mask"].sum())
    seconds = time.perf_counter() - started
    trainable = sum(p.numel() for p in parameters)
    model.unload()  # the base model without LoRA layers, for the measurements that follow
    loaded.model.eval()
    return {
        "train_tokens": tokens,
        "train_steps": len(plan),
        "train_s": seconds,
        "tokens_per_s": tokens / seconds,
        "trainable_params": trainable,
    }


def _fixed_length_latencies(
    loaded: LoadedModel, prompts: list[str], new_tokens: int, repeats: int = 1
) -> list[float]:
    """Seconds per greedy generation of exactly ``new_tokens`` tokens for each prompt."""
    latencies = []
    for user in prompts:
        ids = torch.tensor([prompt_ids(loaded.tokenizer, user)], device=loaded.device)
        for _ in range(repeats):
            started = time.perf_counter()
            with torch.no_grad():
                loaded.model.generate(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=new_tokens,
                    min_new_tokens=new_tokens,
                    do_sample=False,
                    pad_token_id=loaded.tokenizer.pad_token_id,
                )
            latencies.append(time.perf_counter() - started)
    return latencies


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "p50_s": statistics.median(ordered),
        "p95_s": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "n": len(ordered),
    }


def measure_memory_latency(loaded: LoadedModel, store: MemoryStore, profile: PerfProfile) -> dict:
    """Memory-mode latency for memories of a small and a large corpus (one epoch each).

    A shared machine drifts by ±15 % over minutes, more than the effect measured, so the two
    memories are timed in alternating rounds (small, large, large, small, …) and each p50 is
    taken over every round.
    """
    from lift_memory.ingest import ingest
    from lift_memory.memory import LiftMemory

    questions = [f"What did {person} keep in {place}?" for person in _PEOPLE for place in _PLACES][
        : profile.latency_questions
    ]
    prompts = [question_prompt(q) for q in questions]
    out: dict = {}
    sizes = {"small": profile.small_corpus_tokens, "large": profile.large_corpus_tokens}
    for label, tokens in sizes.items():
        text = fictional_text(tokens, loaded, seed=tokens)
        # One pass over non-overlapping segments: latency does not depend on how long it trained.
        config = _lift_config(
            profile,
            segment_stride=profile.lift_overrides["segment_length"] - 1,
            contextualized=False,
            qa_generator="none",
            retention_samples=0,
            stage1_epochs=1,
            stage2_epochs=0,
        )
        started = time.perf_counter()
        result = ingest(
            [Document("text", text)], f"perf-{label}", store=store, model=loaded, config=config
        )
        out[label] = {
            "ingest_s": time.perf_counter() - started,
            "corpus_tokens": result.manifest.metrics.get("corpus_tokens"),
        }
    latencies: dict[str, list[float]] = {label: [] for label in sizes}
    for round_index in range(profile.latency_rounds):
        order = list(sizes) if round_index % 2 == 0 else list(reversed(sizes))
        for label in order:
            memory = LiftMemory.load(f"perf-{label}", store=store, model=loaded)
            try:
                _fixed_length_latencies(loaded, prompts[:2], profile.answer_tokens)  # warm-up
                latencies[label] += _fixed_length_latencies(loaded, prompts, profile.answer_tokens)
            finally:
                memory.adapter.detach()
    for label in sizes:
        out[label].update(_percentiles(latencies[label]))
    out["rounds"] = profile.latency_rounds
    out["ratio_large_over_small_p50"] = out["large"]["p50_s"] / out["small"]["p50_s"]
    return out


def measure_icl_latency(loaded: LoadedModel, profile: PerfProfile) -> dict:
    """Full-context answers (the base model reading N corpus tokens) at each ICL length."""
    out = {}
    for tokens in profile.icl_tokens:
        text = fictional_text(tokens, loaded, seed=7)
        ids = loaded.tokenizer(text, add_special_tokens=False)["input_ids"][:tokens]
        context = loaded.tokenizer.decode(ids)
        prompt = question_prompt("What did Ilse keep in Kelby?", context)
        latencies = _fixed_length_latencies(
            loaded, [prompt], profile.answer_tokens, profile.icl_repeats
        )
        out[str(tokens)] = _percentiles(latencies)
    return out


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


def perf_markdown(report: dict) -> str:
    """The ratios and the raw figures behind them, as a Markdown table."""
    lift, lora, ratios = report["lift"], report["lora"], report["ratios"]
    latency, icl = report["memory_latency"], report["icl_latency"]
    rows = [
        (
            "LIFT ingest / plain LoRA loop, tokens/s",
            f"{ratios['lift_over_lora_tokens_per_s']:.2f}×",
            f"{lift['tokens_per_s']:.0f} vs {lora['tokens_per_s']:.0f} tok/s, {lift['train_steps']} steps each",
        ),
        (
            "LIFT training FLOP/s / matmul FLOP/s",
            f"{ratios['lift_flops_fraction_of_matmul']:.1%}",
            f"{lift['flops_per_s'] / 1e9:.1f} vs {report['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s",
        ),
        (
            "ask p50, large / small corpus",
            f"{ratios['ask_p50_large_over_small']:.2f}",
            f"{latency['large']['p50_s'] * 1000:.0f} ms ({latency['large']['corpus_tokens']:.0f} tok) vs "
            f"{latency['small']['p50_s'] * 1000:.0f} ms ({latency['small']['corpus_tokens']:.0f} tok), "
            f"n={latency['small']['n']} each over {latency['rounds']} alternating rounds",
        ),
    ]
    for tokens, figures in icl.items():
        rows.append(
            (
                f"full-context ICL {tokens} tok / memory mode, p50",
                f"{ratios[f'icl_{tokens}_over_memory_p50']:.1f}×",
                f"{figures['p50_s'] * 1000:.0f} ms vs {latency['small']['p50_s'] * 1000:.0f} ms",
            )
        )
    rows += [
        (
            "adapter / base model bytes",
            f"{ratios['adapter_over_base_bytes']:.1%}",
            f"{lift['adapter_bytes']:,} B vs {report['base_model_bytes']:,} B",
        ),
        (
            "peak RSS during ingest",
            f"{lift['peak_rss_bytes'] / 2**20:.0f} MiB",
            "whole process, model included",
        ),
    ]
    lines = ["| measure | ratio | figures |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    model = report["profile"]["model"]
    return f"Model: {model}, {report['threads']} threads.\n\n" + "\n".join(lines) + "\n"
