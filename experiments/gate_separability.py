"""Can a gate in the memory tell the corpus's questions from everyday ones?

For a quality run: the base model's hidden state at a question's last prompt token, entering
decoder layer L (the memory adapts the top 12 of SmolLM2's 30 layers: L = 18 is what the
relevance gate reads). A logistic read is fitted on what an ingest has — the memory's training
questions (open) against its retention prompts (shut) — and scored on what it never saw: the
bench's 120 questions (should open) and the 110 generic probes (should shut). With
``--trained``, the run's own memory's relevance gate (``LoraSettings.relevance_gate``) is scored
on the same questions instead of a fitted read.

Usage: python experiments/gate_separability.py --run RUN/report --out F.json [--trained]
(~4 min on 2 cores; docs/benchmarks.md, twentieth session)
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from pathlib import Path

import torch
from lift_memory_bench.generic import GENERIC_PROBES
from quality_run_memory import gate_sides, load_run_memory

from lift_memory.models import load_model
from lift_memory.prompts import prompt_ids, question_prompt
from lift_memory.relevance_fit import balanced_logistic_read

LAYERS = (6, 12, 18, 24, 30)
TRAINING_QUESTIONS = 600  # a sample of the memory's ~1,600 training questions


def last_token_states(loaded, questions: list[str], layers: tuple[int, ...]) -> torch.Tensor:
    """(layers, questions, hidden) states at each question's last prompt token."""
    rows = []
    with torch.no_grad():
        for question in questions:
            ids = torch.tensor([prompt_ids(loaded.tokenizer, question_prompt(question))])
            hidden = loaded.model(input_ids=ids, output_hidden_states=True).hidden_states
            rows.append(torch.stack([hidden[layer][0, -1].float() for layer in layers]))
    return torch.stack(rows, dim=1)


def fit_read(opened: torch.Tensor, shut: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """The engine's balanced logistic read (relevance_fit.py) of these states, as a scorer."""
    weight, bias = balanced_logistic_read(opened, shut)
    return lambda states: torch.sigmoid(states @ weight + bias)


def scores(opens: torch.Tensor, shuts: torch.Tensor) -> dict[str, float]:
    """Shares above / below one half, and the AUC (an opened question ranked above a shut one)."""
    return {
        "bench_open": round((opens > 0.5).float().mean().item(), 3),
        "probes_shut": round((shuts < 0.5).float().mean().item(), 3),
        "auc": round((opens[:, None] > shuts[None, :]).float().mean().item(), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", required=True, type=Path, help="a quality run's report folder")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--trained", action="store_true", help="score the run's trained gate")
    args = parser.parse_args()
    bench = [
        json.loads(line)["question"]
        for line in (args.run / "questions.jsonl").read_text().splitlines()
    ]
    probes = [probe.question for probe in GENERIC_PROBES]
    result: dict[str, object] = {"run": str(args.run)}
    if args.trained:
        memory, _ = load_run_memory(args.run)
        gate = memory.adapter.gate
        if gate is None:
            raise SystemExit("this run's memory has no relevance gate")
        layer = memory.adapter.first_adapted_layer()
        with memory.adapter.disabled():  # the layers below are frozen: the same states
            states = [last_token_states(memory.loaded, q, (layer,))[0] for q in (bench, probes)]
        with torch.no_grad():
            opens, shuts = (torch.sigmoid(gate.logits(s)).reshape(-1) for s in states)
        result["trained_gate"] = scores(opens, shuts) | {
            "bench_mean": round(opens.mean().item(), 3),
            "probes_mean": round(shuts.mean().item(), 3),
        }
    else:
        directory = next((args.run / "store" / "memories").iterdir())
        training, retention = gate_sides(directory)
        random.Random(0).shuffle(training)
        loaded = load_model("smollm2-135m")
        states = {
            name: last_token_states(loaded, questions, LAYERS)
            for name, questions in {
                "training": training[:TRAINING_QUESTIONS],
                "retention": retention,
                "bench": bench,
                "probes": probes,
            }.items()
        }
        result["fitted_read"] = {
            f"layer {layer}": scores(
                *(
                    fit_read(states["training"][i], states["retention"][i])(states[name][i])
                    for name in ("bench", "probes")
                )
            )
            for i, layer in enumerate(LAYERS)
        }
    print(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
