"""Which shut side a fitted relevance gate needs, read on held-out sides without retraining.

A memory's fitted gate (``LoraSettings.fitted_relevance_gate``) is a logistic read of its
training questions (open) against its retention prompts (shut). On the quality corpus that read
opened on a third of the generic probes and on most questions about a corpus it never saw
(docs/benchmarks.md, "twenty-first"): its two sides differ by the look of a question more than
by what it asks about. This refits the gate of an ingested memory with more shut questions and
prints, per variant and candidate margin, how it sorts:

- ``own_open``: the memory's own training questions, scored by a 5-fold cross-validated read
  (each fifth scored by a read fitted on the other four fifths and on the shut side);
- ``dev_open``: the Varnholm dev questions (meaningful for a memory of the Varnholm text only;
  for another memory it is the share of a foreign corpus's questions it opens on);
- ``held_out_shut``: the bundled retention prompts a default ingest does not train on;
- ``probes_shut``: the bench's 110 generic probes (shown, never used to choose).

Variants of the shut side (each added to the memory's own retention prompts):

- ``prompts``: none (the engine's gate today);
- ``passage_questions``: the project's fact generator's questions about the bundled retention
  passages (corpus frames, everyday content);
- ``self_questions``: user turns the base model writes itself (``self_prompts.py``);
- ``both``.

No answers are generated: ~3 min on 2 cores, most of it writing the self-asked turns. Usage:

    python experiments/gate_negatives.py --store STORE --name NAME --out F.json
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import torch
from lift_memory_bench.generic import GENERIC_PROBES

from lift_memory import LiftConfig, LiftMemory, MemoryStore
from lift_memory.generic_prompts import RETENTION_PROMPTS
from lift_memory.models import load_model
from lift_memory.relevance_fit import balanced_logistic_read, last_prompt_states
from lift_memory.relevance_shut_side import passage_questions
from lift_memory.self_prompts import self_written_user_turns

ROOT = Path(__file__).resolve().parents[1]
MARGINS = [m / 2 for m in range(-2, 9)]
FOLDS = 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--name", default="exp")
    parser.add_argument("--self-turns", type=int, default=256)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    loaded = load_model("smollm2-135m")
    memory = LiftMemory.load(args.name, store=MemoryStore(args.store), model=loaded)
    config = LiftConfig.model_validate(memory.manifest.config)
    folder = args.store / "memories" / args.name
    own = [json.loads(line)["question"] for line in (folder / "qa.jsonl").read_text().splitlines()]
    own = random.Random(0).sample(own, min(len(own), 600))
    trained_prompts = [
        prompt
        for prompt, _reply in map(json.loads, (folder / "retention.jsonl").read_text().splitlines())
        if prompt
    ]
    passages = passage_questions()  # the engine's own (relevance_shut_side.py)
    with memory.adapter.disabled():
        self_questions = self_written_user_turns(loaded, args.self_turns, seed=config.seed)
    dev = [
        json.loads(line)["question"]
        for line in (ROOT / "experiments" / "varnholm-dev.jsonl").read_text().splitlines()
    ]
    held_out = list(RETENTION_PROMPTS[config.retention_samples :])
    probes = [probe.question for probe in GENERIC_PROBES]
    layer = memory.adapter.first_adapted_layer()
    gate = memory.adapter.gate

    def states(questions: list[str]) -> torch.Tensor:
        return gate.normalize(last_prompt_states(loaded, layer, questions))

    own_states = states(own)
    sides = {
        "dev": states(dev),
        "held_out": states(held_out),
        "probes": states(probes),
    }
    extra = {
        "prompts": [],
        "passage_questions": passages,
        "self_questions": self_questions,
        "both": passages + self_questions,
    }
    shut_states = {key: states(trained_prompts + value) for key, value in extra.items()}
    result: dict[str, object] = {
        "memory": str(args.store),
        "sizes": {
            "own": len(own),
            "trained_prompts": len(trained_prompts),
            **{key: len(value) for key, value in extra.items()},
            **{key: len(value) for key, value in sides.items()},
        },
        "passage_questions": passages,
        "self_questions": self_questions,
        "variants": {},
    }
    print(json.dumps(result["sizes"]))
    for variant, shut in shut_states.items():
        weight, bias = balanced_logistic_read(own_states, shut)
        cross = torch.empty(len(own))
        order = torch.randperm(len(own), generator=torch.Generator().manual_seed(0))
        for fold in range(FOLDS):
            held = order[fold::FOLDS]
            kept = torch.ones(len(own), dtype=torch.bool)
            kept[held] = False
            w, b = balanced_logistic_read(own_states[kept], shut)
            cross[held] = own_states[held] @ w + b
        logits = {key: value @ weight + bias for key, value in sides.items()}
        rows = []
        for margin in MARGINS:
            row = {
                "margin": margin,
                "own_open": round((cross + margin > 0).float().mean().item(), 3),
                "dev_open": round((logits["dev"] + margin > 0).float().mean().item(), 3),
                "held_out_shut": round((logits["held_out"] + margin <= 0).float().mean().item(), 3),
                "probes_shut": round((logits["probes"] + margin <= 0).float().mean().item(), 3),
            }
            rows.append(row)
            print(variant, json.dumps(row))
        result["variants"][variant] = {
            "rows": rows,
            "logits": {k: [round(x, 3) for x in v.tolist()] for k, v in logits.items()},
        }
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
