"""Where a fitted relevance gate's threshold should sit, read on questions the fit never saw.

A memory ingested with ``LoraSettings.fitted_relevance_gate`` (experiments/recall_run.py prints
its store) decides per question at its prompt's last token. This scores the gate's logit, its
own margin taken off, on two held-out sides:

- open: the Varnholm dev questions (experiments/varnholm-dev.jsonl), hand-written, in phrasings
  the memory's generated training questions need not share;
- shut: the bundled retention prompts a default ingest does not train on
  (``RETENTION_PROMPTS[retention_samples:]``; never the bench's probes).

and prints, per candidate margin, the share of each side the gate sorts right. No generation:
~1 min on 2 cores. With ``--answer M`` the memory then answers at margin ``M``: the dev and demo
questions (as experiments/recall_run.py scores them) and the 110 generic probes against the
base model's answers, with the perplexity ratio (~8 min). Usage:

    python experiments/gate_margin.py --store STORE --name exp --out F.json [--answer 1.0]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import torch
from lift_memory_bench.generic import GENERIC_PROBES
from lift_memory_bench.perplexity_damage import perplexity_damage, text_perplexities
from recall_run import SAMPLES, contains, questions

from lift_memory import LiftConfig, LiftMemory, MemoryStore
from lift_memory.generic_prompts import RETENTION_PROMPTS
from lift_memory.models import load_model
from lift_memory.relevance_fit import last_prompt_states
from lift_memory.scoring import contains_gold

ROOT = Path(__file__).resolve().parents[1]
MARGINS = [m / 2 for m in range(-4, 11)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--name", default="exp")
    parser.add_argument("--answer", type=float, help="then answer at this margin")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    loaded = load_model("smollm2-135m")
    memory = LiftMemory.load(args.name, store=MemoryStore(args.store), model=loaded)
    gate = memory.adapter.gate
    if gate is None or not gate.per_question:
        raise SystemExit("this memory has no fitted relevance gate")
    config = LiftConfig.model_validate(memory.manifest.config)
    dev = [
        json.loads(line)["question"]
        for line in (ROOT / "experiments" / "varnholm-dev.jsonl").read_text().splitlines()
    ]
    held_out = list(RETENTION_PROMPTS[config.retention_samples :])
    probes = [probe.question for probe in GENERIC_PROBES]  # shown, never used to choose
    layer = memory.adapter.first_adapted_layer()

    def logits(questions: list[str]) -> torch.Tensor:
        with torch.no_grad():
            states = last_prompt_states(loaded, layer, questions)
            return gate.read(gate.normalize(states)).reshape(-1) - config.lora.relevance_margin

    sides = {"dev": logits(dev), "held_out": logits(held_out), "probes": logits(probes)}
    rows = []
    for margin in MARGINS:
        rows.append(
            {
                "margin": margin,
                "dev_open": round((sides["dev"] + margin > 0).float().mean().item(), 3),
                "held_out_shut": round((sides["held_out"] + margin <= 0).float().mean().item(), 3),
                "probes_shut": round((sides["probes"] + margin <= 0).float().mean().item(), 3),
            }
        )
        print(json.dumps(rows[-1]))
    result = {
        "memory": str(args.store),
        "sizes": {k: len(v) for k, v in sides.items()},
        "rows": rows,
        "logits": {k: [round(x, 3) for x in v.tolist()] for k, v in sides.items()},
        "dev_shut_at_0": [q for q, v in zip(dev, sides["dev"].tolist(), strict=True) if v <= 0],
    }
    if args.answer is not None:
        with torch.no_grad():
            gate.read.bias.add_(args.answer - config.lora.relevance_margin)
        result["answered"] = answered(memory, args.answer)
        print(json.dumps({k: v for k, v in result["answered"].items() if k != "rows"}))
    args.out.write_text(json.dumps(result, indent=1) + "\n")


def answered(memory: LiftMemory, margin: float) -> dict[str, object]:
    """Dev and demo hits, and the probes and perplexity against the base model, at ``margin``."""
    out: dict[str, object] = {"margin": margin, "rows": {}}
    for name, path in (
        ("dev", ROOT / "experiments" / "varnholm-dev.jsonl"),
        ("demo", SAMPLES / "varnholm-questions.jsonl"),
    ):
        rows = [
            (q, memory.ask(q, max_new_tokens=32).text, gold) for q, gold, _kind in questions(path)
        ]
        out[name] = sum(contains(a, gold) for _, a, gold in rows)
        out["rows"][name] = rows
    probes = [(p.question, list(p.answers)) for p in GENERIC_PROBES]
    for use_memory in (False, True):
        answers = [memory.ask(q, use_memory=use_memory, max_new_tokens=32).text for q, _ in probes]
        key = "probes" if use_memory else "base_probes"
        out[key] = statistics.fmean(
            bool(contains_gold(a, g)) for a, (_, g) in zip(answers, probes, strict=True)
        )
    base = text_perplexities(memory.loaded, adapter=memory.adapter, use_memory=False)
    damage = perplexity_damage(text_perplexities(memory.loaded, adapter=memory.adapter), base)
    out["perplexity_ratio"] = damage["perplexity_ratio"]
    out["perplexity_ratio_max"] = damage["perplexity_ratio_max"]
    return out


if __name__ == "__main__":
    main()
