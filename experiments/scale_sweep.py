"""Recall and retention of one trained memory with its update scaled at answer time.

    python experiments/scale_sweep.py --run RUN_DIR --scales 1.0,0.8,0.6 --out F.json

``RUN_DIR`` is a ``lift-memory bench`` output folder of the quality profile (its
``questions.jsonl``, ``report.json`` and ``store/``); its ``lora`` memory answers the run's
questions with the LoRA's update multiplied by each scale (``Adapter.scaled``: the soft router's
scaling, a weight-space interpolation between the base model and the trained one), scored as the
bench scores them, plus the 110 bundled generic retention probes (memory forced on, against gold
and against the base model's own answers) and the perplexity ratio on the six unrelated texts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
from pathlib import Path

from lift_memory_bench.metrics import question_scores
from lift_memory_bench.perplexity_damage import perplexity_damage, text_perplexities
from lift_memory_bench.retention_probes import GENERIC_PROBES
from lift_memory_bench.tasks.question import BenchQuestion

from lift_memory import LiftMemory, MemoryStore
from lift_memory.models import load_model
from lift_memory.scoring import contains_gold, normalize_answer

PROBE_TOKENS = 32  # as experiments/retention_run.py
QUESTION_TOKENS = 64  # the quality profile's max_new_tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", required=True, type=Path)
    parser.add_argument("--scales", default="1.0,0.8,0.6")
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
    for scale in (float(s) for s in args.scales.split(",")):
        if str(scale) in out["scales"]:
            continue
        scaled = memory.adapter.scaled(scale) if scale != 1.0 else contextlib.nullcontext()
        with scaled:
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
        out["scales"][str(scale)] = row
        args.out.write_text(json.dumps(out, indent=1))
        shown = {k: v for k, v in row.items() if k not in ("probe_hits", "replies", "probes")}
        print(scale, json.dumps(shown), flush=True)
    base_hits = [
        contains_gold(a, list(p.answers))
        for a, p in zip(out["base_probes"], GENERIC_PROBES, strict=True)
    ]
    print("base probe accuracy", statistics.fmean(bool(h) for h in base_hits))


if __name__ == "__main__":
    main()
