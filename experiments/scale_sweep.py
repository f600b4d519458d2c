"""Recall and retention of one trained memory with its update scaled at answer time.

    python experiments/scale_sweep.py --run RUN_DIR --scales 1.0,0.8,0.6 --out F.json
    python experiments/scale_sweep.py --run RUN_DIR --drop attn,mlp --out F.json

``RUN_DIR`` is a ``lift-memory bench`` output folder of the quality profile (its
``questions.jsonl``, ``report.json`` and ``store/``); its ``lora`` memory answers the run's
questions with the LoRA's update at each scale, a fraction of the scale it trained at whatever
``answer_scale`` it was saved with (``Adapter.scaled``: the soft router's scaling, a weight-space
interpolation between the base model and the trained one), scored as the bench scores them,
plus the 110 bundled generic retention probes (memory forced on, against gold and against the
base model's own answers) and the perplexity ratio on the six unrelated texts.

``--drop`` instead removes one part of the update at a time (``attn``: the attention
projections' LoRA, ``mlp``: the MLP's, ``lowerN`` / ``upperN``: the lower or upper N adapted
layers'), the rest answering as the memory does: where the facts live and where the damage does.

``--gate-shifts`` instead moves a relevance-gated memory's gate (``LoraSettings.relevance_gate``)
by a logit shift, the memory answering at its own answer scale: ``auto`` is the shift that best
separates the memory's own training questions from its retention prompts at their last prompt
token (balanced accuracy; neither the bench's questions nor the probes), numbers are shifts.

``--fit-gate`` first puts a relevance gate fitted after the fact (``LoraSettings.fitted_relevance_gate``,
lift_memory/relevance_fit.py) in front of a memory trained without one; ``--gate-shifts`` then
moves it (``0`` is the fit as ingest makes it).

``--project`` instead removes from every LoRA module's input the directions that carry a share
of the base model's activations on generic text (the bundled retention prompts with the base
model's answers, and the generic passages; never the probes): the update is projected onto
what generic inputs leave nearly empty, as null-space editing does (AlphaEdit, arXiv
2410.02355). One point per share of the activations' energy removed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from lift_memory_bench.metrics import question_scores
from lift_memory_bench.perplexity_damage import perplexity_damage, text_perplexities
from lift_memory_bench.retention_probes import GENERIC_PROBES
from lift_memory_bench.tasks.question import BenchQuestion

from lift_memory import LiftMemory, MemoryStore
from lift_memory.memory_files import read_retention
from lift_memory.models import load_model
from lift_memory.retention import retention_samples
from lift_memory.scoring import contains_gold, normalize_answer

PROBE_TOKENS = 32  # as experiments/retention_run.py
QUESTION_TOKENS = 64  # the quality profile's max_new_tokens


def _layer(name: str) -> int | None:
    """The decoder layer a module name lies in ("….layers.23.mlp.up_proj" -> 23)."""
    index = re.search(r"\.layers\.(\d+)\.", name)
    return int(index[1]) if index else None


def _in_group(name: str, group: str, layers: list[int]) -> bool:
    """Whether the LoRA module ``name`` belongs to ``group`` (see the module docstring)."""
    if group == "attn":
        return ".self_attn." in name
    if group == "mlp":
        return ".mlp." in name
    match = re.fullmatch(r"(lower|upper)(\d+)", group)
    if not match:
        raise SystemExit(f"unknown group {group!r}: attn, mlp, lowerN or upperN")
    chosen = layers[: int(match[2])] if match[1] == "lower" else layers[-int(match[2]) :]
    return _layer(name) in chosen


@contextlib.contextmanager
def _dropped(memory: LiftMemory, group: str) -> Iterator[None]:
    """The LoRA modules of ``group`` switched off (scaling 0) while inside."""
    from lift_memory.null_space import lora_modules

    modules = lora_modules(memory.adapter._model)
    layers = sorted({i for i in map(_layer, modules) if i is not None})
    chosen = [m for n, m in modules.items() if _in_group(n, group, layers)]
    saved = [dict(m.scaling) for m in chosen]
    for module in chosen:
        module.scale_layer(0.0)
    try:
        yield
    finally:
        for module, scaling in zip(chosen, saved, strict=True):
            module.scaling.update(scaling)


@contextlib.contextmanager
def _at_scale(memory: LiftMemory, scale: float) -> Iterator[None]:
    """The update at ``scale`` times its training scale, whatever answer scale it was saved with."""
    scaled = memory.adapter.scaled(scale) if scale != 1.0 else contextlib.nullcontext()
    with memory.adapter.at_training_scale(), scaled:
        yield


@contextlib.contextmanager
def _projected(memory: LiftMemory, share: float, retention: list[Any]) -> Iterator[None]:
    """Every LoRA module's ``A`` projected off the input directions holding ``share`` of the
    base model's activations on the memory's own retention samples, while inside."""
    from lift_memory.null_space import NullSpaceProjection

    with memory.adapter.disabled():
        projection = NullSpaceProjection.fit(memory.loaded, retention, share)
    weights = [m.lora_A["default"].weight for m in projection.modules.values()]
    saved = [w.detach().clone() for w in weights]
    projection.apply()
    print(f"project {share}: {projection.mean_removed:.1f} directions removed per module")
    try:
        yield
    finally:
        for weight, before in zip(weights, saved, strict=True):
            weight.data.copy_(before)


@contextlib.contextmanager
def _gate_shifted(memory: LiftMemory, shift: float) -> Iterator[None]:
    """The relevance gate's bias moved by ``shift`` while inside."""
    bias = memory.adapter.gate.read.bias
    saved = bias.detach().clone()
    bias.data.add_(shift)
    try:
        yield
    finally:
        bias.data.copy_(saved)


def _separating_shift(memory: LiftMemory, directory: Path) -> float:
    """Minus the gate logit that best separates the memory's training questions (open) from its
    retention prompts (shut) at their last prompt token, by balanced accuracy."""
    import torch
    from gate_separability import last_token_states
    from quality_run_memory import gate_sides

    def last_logits(questions: list[str]) -> list[float]:
        layer = memory.adapter.first_adapted_layer()
        states = last_token_states(memory.loaded, questions, (layer,))[0]
        with torch.no_grad():
            return memory.adapter.gate.logits(states).reshape(-1).tolist()

    training, prompts = gate_sides(directory)
    opened, shut = last_logits(training[::3]), last_logits(prompts)

    def balanced(threshold: float) -> float:
        return statistics.fmean(v > threshold for v in opened) + statistics.fmean(
            v <= threshold for v in shut
        )

    best = max(sorted(opened + shut), key=balanced)
    print(f"gate: best threshold {best:.2f}, balanced accuracy {balanced(best) / 2:.3f}")
    return -best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", required=True, type=Path)
    parser.add_argument("--scales", default="1.0,0.8,0.6")
    parser.add_argument("--drop", default="", help="comma-separated groups, one point each")
    parser.add_argument("--project", default="", help="comma-separated energy shares")
    parser.add_argument("--gate-shifts", default="", help="'auto' or logit shifts, one each")
    parser.add_argument("--fit-gate", action="store_true", help="fit a per-question gate first")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    report = json.loads((args.run / "report.json").read_text())
    name = report["results"]["lora"]["costs"]["memory"]
    questions = [
        BenchQuestion(**{**row, "answers": tuple(row["answers"]), "options": tuple(row["options"])})
        for row in map(json.loads, (args.run / "questions.jsonl").read_text().splitlines())
    ]
    loaded = load_model("smollm2-135m")
    memory = LiftMemory.load(name, store=MemoryStore(args.run / "store"), model=loaded)
    out = json.loads(args.out.read_text()) if args.out.exists() else {"scales": {}}
    if "base_probes" not in out:
        out["base_probes"] = [
            memory.ask(p.question, use_memory=False, max_new_tokens=PROBE_TOKENS).text
            for p in GENERIC_PROBES
        ]
        out["base_ppl"] = text_perplexities(loaded, adapter=memory.adapter, use_memory=False)
        args.out.write_text(json.dumps(out, indent=1))
    points: list[tuple[str, Callable[[], contextlib.AbstractContextManager[None]]]]
    if args.fit_gate:
        from quality_run_memory import gate_sides

        from lift_memory.relevance_fit import fit_relevance_gate

        training, prompts = gate_sides(MemoryStore(args.run / "store").path(name))
        layer = memory.adapter.first_adapted_layer()
        fit = fit_relevance_gate(loaded, layer, training, prompts)
        memory.adapter.install_gate(fit.gate)
        out["fit"] = {"questions_open": fit.questions_open, "prompts_shut": fit.prompts_shut}
        print("fitted gate", out["fit"], flush=True)
    if args.gate_shifts:
        directory = MemoryStore(args.run / "store").path(name)
        shifts = {
            f"gate{value}": _separating_shift(memory, directory)
            if value == "auto"
            else float(value)
            for value in args.gate_shifts.split(",")
        }
        out["gate_shifts"] = shifts
        points = [(k, partial(_gate_shifted, memory, v)) for k, v in shifts.items()]
    elif args.drop:
        points = [(f"drop-{g}", partial(_dropped, memory, g)) for g in args.drop.split(",")]
    elif args.project:
        store = MemoryStore(args.run / "store")
        retention = retention_samples(
            loaded,
            read_retention(store.path(name)) or [],
            int(memory.manifest.config.get("retention_passages", 0)),
        )
        points = [
            (f"project-{s}", partial(_projected, memory, float(s), retention))
            for s in args.project.split(",")
        ]
    else:
        points = [
            (str(s), partial(_at_scale, memory, s)) for s in map(float, args.scales.split(","))
        ]
    for key, variation in points:
        if key in out["scales"]:
            continue
        with variation():
            replies = [
                memory.ask(q.question, max_new_tokens=QUESTION_TOKENS).text for q in questions
            ]
            probes = [
                memory.ask(p.question, max_new_tokens=PROBE_TOKENS).text for p in GENERIC_PROBES
            ]
            ppl = text_perplexities(loaded, adapter=memory.adapter)
        by_task: dict[str, list[float]] = {}
        for question, reply in zip(questions, replies, strict=True):
            by_task.setdefault(question.task, []).append(
                question_scores(reply, question)["contains"]
            )
        hits = [
            bool(contains_gold(a, list(p.answers)))
            for a, p in zip(probes, GENERIC_PROBES, strict=True)
        ]
        same = [
            normalize_answer(a) == normalize_answer(b)
            for a, b in zip(probes, out["base_probes"], strict=True)
        ]
        damage = perplexity_damage(ppl, out["base_ppl"])
        row = {
            "tasks": {task: statistics.fmean(v) for task, v in by_task.items()},
            "probe_accuracy": statistics.fmean(hits),
            "probe_hits": hits,
            "identical_to_base": statistics.fmean(same),
            "perplexity_ratio": damage["perplexity_ratio"],
            "perplexity_ratio_max": damage["perplexity_ratio_max"],
            "replies": replies,
            "probes": probes,
        }
        out["scales"][key] = row
        args.out.write_text(json.dumps(out, indent=1))
        shown = {k: v for k, v in row.items() if k not in ("probe_hits", "replies", "probes")}
        print(key, json.dumps(shown), flush=True)
    base_hits = [
        contains_gold(a, list(p.answers))
        for a, p in zip(out["base_probes"], GENERIC_PROBES, strict=True)
    ]
    print("base probe accuracy", statistics.fmean(bool(h) for h in base_hits))


if __name__ == "__main__":
    main()
