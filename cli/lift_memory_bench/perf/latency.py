"""Answer latency: memory mode for memories of a small and a large corpus, and full-context ICL
(the base model reading N corpus tokens), each a fixed-length greedy generation."""

from __future__ import annotations

import statistics
import time

import torch

from lift_memory.documents import Document
from lift_memory.ingest import ingest
from lift_memory.memory import LiftMemory
from lift_memory.models import LoadedModel
from lift_memory.prompts import prompt_ids, question_prompt
from lift_memory.store import MemoryStore
from lift_memory_bench.perf.profile import PerfProfile
from lift_memory_bench.perf.text import PEOPLE, PLACES, fictional_text


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
    questions = [f"What did {person} keep in {place}?" for person in PEOPLE for place in PLACES][
        : profile.latency_questions
    ]
    prompts = [question_prompt(q) for q in questions]
    out: dict = {}
    sizes = {"small": profile.small_corpus_tokens, "large": profile.large_corpus_tokens}
    for label, tokens in sizes.items():
        text = fictional_text(tokens, loaded, seed=tokens)
        # One pass over non-overlapping segments: latency does not depend on how long it trained.
        config = profile.lift_config(
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
