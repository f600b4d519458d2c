"""One epoch's adapter of a recall curve, looked at again without training.

    python experiments/curve_snapshot.py --curve DIR --epoch 3 answer --scale 1.0
    python experiments/curve_snapshot.py --curve DIR --epoch 3 probe --questions "magic number"

``DIR`` is an ``experiments/recall_curve.py`` output folder (its ``store/`` and
``snapshots/``). ``answer`` has the epoch's adapter answer the run's fiction and needle
questions closed-book at another ``answer_scale`` (a weight-space interpolation toward the base
model, ``LoraSettings.answer_scale``), scored as the bench scores them, and writes
``DIR/answers-epoch-E-scale-S.json``. ``probe`` scores the memory's own training questions that
contain a text, teacher-forced as the extractability probe does (the relevance gate suspended,
as in training), at the training scale and at the memory's answer scale: which of them the stop
rule counted as learned, and which the answering memory would say.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

import torch
from lift_memory_bench.metrics import question_scores
from recall_curve import TASKS, run_questions

from lift_memory import LiftConfig, LiftMemory, MemoryStore
from lift_memory.answer import generate_answer
from lift_memory.extractable import reply_min_probabilities
from lift_memory.ingest import answer_token_span
from lift_memory.models import load_model
from lift_memory.prompts import chat_sample, question_prompt


def load_epoch(curve: Path, epoch: int) -> LiftMemory:
    """The curve's memory with the adapter it had after ``epoch``."""
    memory = LiftMemory.load("curve", store=MemoryStore(curve / "store"), model=load_model())
    weights = torch.load(curve / "snapshots" / f"epoch-{epoch:02d}.pt")
    with torch.no_grad():
        for i, parameter in enumerate(memory.adapter.parameters()):
            parameter.copy_(weights[str(i)])
    return memory


def answer(memory: LiftMemory, run: Path, scale: float) -> dict:
    """The run's recall questions answered at ``scale``: each task's count right, and the rows."""
    memory.adapter.set_answer_scale(scale)
    rows = []
    for q in run_questions(run):
        text = generate_answer(memory.loaded, q.question, adapter=memory.adapter, max_new_tokens=64)
        rows.append(
            {"id": q.id, "task": q.task, "answer": text.text, **question_scores(text.text, q)}
        )
    right = {task: sum(r["contains"] for r in rows if r["task"] == task) for task in TASKS}
    return {"scale": scale, "right": right, "answers": rows}


def probe(memory: LiftMemory, curve: Path, containing: str) -> list[dict]:
    """The smallest probability of each matching training question's answer tokens, at the
    training scale and at the answer scale."""
    pairs = [json.loads(line) for line in (curve / "store/memories/curve/qa.jsonl").open()]
    chosen = [p for p in pairs if containing in p["question"]]
    tokenizer = memory.loaded.tokenizer
    samples, spans = [], []
    for pair in chosen:
        reply = pair.get("reply") or pair["evidence"]
        samples.append(chat_sample(tokenizer, question_prompt(pair["question"]), reply, "qa"))
        spans.append(answer_token_span(tokenizer, reply, pair["answer"]))
    gate = getattr(memory.adapter, "gate", None)
    with gate.suspended() if gate is not None else contextlib.nullcontext():
        answering = reply_min_probabilities(memory.loaded, samples, spans=spans)
        with memory.adapter.at_training_scale():
            training = reply_min_probabilities(memory.loaded, samples, spans=spans)
    return [
        {"question": p["question"], "training_scale": t, "answer_scale": a}
        for p, t, a in zip(chosen, training, answering, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--curve", required=True, help="a recall_curve.py output folder")
    parser.add_argument("--epoch", type=int, required=True)
    parser.add_argument("what", choices=["answer", "probe"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--questions", default="", help="probe: training questions with this")
    args = parser.parse_args()
    curve = Path(args.curve)
    memory = load_epoch(curve, args.epoch)
    if args.what == "answer":
        run = Path(json.loads((curve / "curve.json").read_text())["run"])
        result = answer(memory, run, args.scale)
        out = curve / f"answers-epoch-{args.epoch}-scale-{args.scale}.json"
        out.write_text(json.dumps(result, indent=1))
        print(f"epoch {args.epoch} at scale {args.scale}: {result['right']} of 24 each")
        return
    rows = probe(memory, curve, args.questions)
    threshold = LiftConfig.model_validate(memory.manifest.config).extractable_threshold
    for row in rows:
        print(f"{row['training_scale']:.3f} {row['answer_scale']:.3f} {row['question']}")
    for scale in ("training_scale", "answer_scale"):
        passing = sum(row[scale] >= threshold for row in rows)
        print(f"at the {scale.replace('_', ' ')}: {passing} of {len(rows)} pass")


if __name__ == "__main__":
    main()
