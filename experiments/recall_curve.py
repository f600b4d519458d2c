"""Recall against ingest cost, epoch by epoch, from one training: where the bars are crossed.

    python experiments/recall_curve.py --run RUN/report --out DIR [--config '{...}']

Retrains a quality run's memory (its corpus, its memory's config with ``--config`` on top, the
base model's retention answers it recorded), keeping the adapter after every stage-2 epoch. Each
kept adapter then answers the run's fiction and needle questions closed-book, through the
finished memory's fitted relevance gate (it reads the frozen layers below the adapter, so it is
the same for every epoch), scored as the bench scores them. Writes ``DIR/curve.json``: per
epoch the training tokens and seconds by then, the facts learned, and each task's score.

The learning rate follows the schedule of the whole run (its maximum epochs), so an epoch's point
is what training had reached there, not what a run planned to stop there would reach.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from lift_memory_bench.bootstrap import interval
from lift_memory_bench.metrics import question_scores
from lift_memory_bench.tasks.question import BenchQuestion

from lift_memory import Document, LiftConfig, LiftMemory, MemoryStore, ingest
from lift_memory.answer import generate_answer
from lift_memory.models import load_model
from lift_memory.train import LiftTrainer

TASKS = ("fact-single", "fact-multihop", "fact-timeline", "needle-single")


def run_questions(run: Path) -> list[BenchQuestion]:
    """The run's questions of the recall bars' tasks."""
    rows = [json.loads(line) for line in (run / "questions.jsonl").read_text().splitlines()]
    return [
        BenchQuestion(
            id=r["id"],
            task=r["task"],
            question=r["question"],
            answers=tuple(r["answers"]),
            options=tuple(r["options"]),
            gold_option=r["gold_option"],
            scored_by_choice=r["scored_by_choice"],
        )
        for r in rows
        if r["task"] in TASKS
    ]


def run_config(run: Path, overrides: dict[str, Any]) -> LiftConfig:
    """The config the run's memory was trained with, ``overrides`` on top."""
    manifest = next((run / "store" / "memories").iterdir()) / "manifest.json"
    config = json.loads(manifest.read_text())["config"]
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return LiftConfig.model_validate(config)


def keep_adapter_after_each_epoch(snapshots: Path) -> None:
    """Save the adapter's weights when an epoch's facts are measured (its end)."""
    measure = LiftTrainer._measure

    def measured(self: LiftTrainer, stage_index: int, stage: Any, epoch: int) -> list[int]:
        # in the adapter's order, as the loading side reads them (the trainer's own list is in
        # its optimizer's order, grouped under LoRA+)
        weights = {str(i): p.detach().clone() for i, p in enumerate(self.adapter.parameters())}
        torch.save(weights, snapshots / f"epoch-{epoch + 1:02d}.pt")
        return measure(self, stage_index, stage, epoch)

    LiftTrainer._measure = measured  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", required=True, help="a quality run's report folder")
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", default="{}", help="LiftConfig keys over the run's")
    parser.add_argument(
        "--decay-share",
        type=float,
        default=None,
        help="LiftConfig.lr_decay_share: the cosine reaches its floor after this share of the "
        "planned steps (the same as --config '{\"lr_decay_share\": S}')",
    )
    args = parser.parse_args()
    run, out = Path(args.run), Path(args.out)
    snapshots = out / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    overrides = json.loads(args.config)
    if args.decay_share is not None:
        overrides["lr_decay_share"] = args.decay_share
    config = run_config(run, overrides)
    text = (run / "corpus.txt").read_text(encoding="utf-8").removesuffix("\n")
    saved = json.loads((run / "retention-answers.json").read_text())
    retention = [(str(p), str(a)) for p, a in saved["pairs"]][: config.retention_samples]
    loaded = load_model("smollm2-135m")
    store = MemoryStore(out / "store")
    keep_adapter_after_each_epoch(snapshots)

    def progress(p: Any) -> None:
        if p.step % 50 == 0:
            print(
                f"{p.stage} {p.epoch}/{p.epochs} step {p.step} {p.tokens_per_s:.0f} tok/s "
                f"facts {p.facts_learned}/{p.facts_total}",
                flush=True,
            )

    started = time.perf_counter()
    result = ingest(
        [Document("bench-corpus", text)],
        "curve",
        store=store,
        model=loaded,
        config=config,
        retention_answers=retention,
        on_progress=progress,
        on_stage=lambda message: print(message, flush=True),
    )
    ingest_s = time.perf_counter() - started
    memory = LiftMemory.load("curve", store=store, model=loaded)
    parameters = list(memory.adapter.parameters())
    questions = run_questions(run)
    points = {p.epoch: p for p in result.train.learning_curve}
    curve: list[dict[str, Any]] = []
    # the last epoch first: the trained memory's own recall comes before the curve behind it
    for path in sorted(snapshots.glob("epoch-*.pt"), reverse=True):
        epoch = int(path.stem.split("-")[1])
        weights = torch.load(path)
        with torch.no_grad():
            for i, parameter in enumerate(parameters):
                parameter.copy_(weights[str(i)])
        rows = []
        for q in questions:
            answer = generate_answer(loaded, q.question, adapter=memory.adapter, max_new_tokens=64)
            rows.append(
                {
                    "id": q.id,
                    "task": q.task,
                    "answer": answer.text,
                    "contains": question_scores(answer.text, q)["contains"],
                }
            )
        scores = {}
        for task in TASKS:
            hits = [r["contains"] for r in rows if r["task"] == task]
            if not hits:
                continue
            scores[task] = {
                "contains": sum(hits) / len(hits),
                "ci": list(interval(hits)),
                "n": len(hits),
            }
        point = points.get(epoch)
        curve.append(
            {
                "epoch": epoch,
                "tokens": point.tokens if point else None,
                "train_seconds": point.seconds if point else None,
                "facts_learned": point.facts_learned if point else None,
                "facts_total": point.facts_total if point else None,
                "scores": scores,
                "answers": rows,
            }
        )
        print(epoch, {t: round(s["contains"], 3) for t, s in scores.items()}, flush=True)
        (out / "curve.json").write_text(
            json.dumps(
                {
                    "run": str(run),
                    "config": config.model_dump(),
                    "ingest_s": ingest_s,
                    "corpus_tokens": result.manifest.documents[0].tokens
                    if result.manifest.documents
                    else None,
                    "train_tokens": result.train.tokens,
                    "decay_share": config.lr_decay_share,
                    "curve": sorted(curve, key=lambda point: point["epoch"]),
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
