"""One recall experiment: ingest a text with a QA recipe, answer held-out questions closed-book.

    python experiments/recall_run.py --out /tmp/exp/defaults.json [--config '{...}'] [--base demo]

Prints and writes per-question answers and word-boundary "contains" scores (dev questions:
experiments/varnholm-dev.jsonl; the demo's questions are reported separately).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from lift_memory import Document, LiftConfig, LiftMemory, MemoryStore, ingest
from lift_memory.models import load_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "cli" / "lift_memory_cli" / "samples"
# The recipe the demo was pinned to until the LoRA default (docs/benchmarks.md, "baseline" rows).
OLD_DEMO_RECIPE = {
    "segment_length": 256,
    "segment_stride": 128,
    "adapter": "gated_memory",
    "contextualized": False,
    "qa_generator": "cloze",
    "qa_count": 40,
    "fact_statements": False,
    "learn_until": None,
    "qa_with_context_fraction": 0.0,
    "retention_samples": 16,
    "retention_loss": "ce",
    "gated_memory": {"top_layers": None, "hidden_multiplier": 2},
    "stage1_epochs": 8,
    "stage2_epochs": 10,
    "learning_rate": 0.01,
}


def contains(answer: str, gold: list[str]) -> bool:
    text = " " + re.sub(r"[^a-z0-9]+", " ", answer.lower()) + " "
    return any(" " + re.sub(r"[^a-z0-9]+", " ", g.lower()).strip() + " " in text for g in gold)


def first_sentence(answer: str) -> str:
    """The answer up to its first sentence end: an answer that names two candidates ("1903.
    It was built in 1847.") is scored on the one it gives first."""
    return re.split(r"(?<=[.!?])\s", answer.strip(), maxsplit=1)[0]


def questions(path: Path) -> list[tuple[str, list[str], str]]:
    """Each question, its gold answers and its kind ("" where the file names none)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        (
            r["question"],
            [r["answer"]] if isinstance(r["answer"], str) else r["answer"],
            r.get("kind", ""),
        )
        for r in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generator", default="default")
    parser.add_argument("--per-fact", type=int, default=4)
    parser.add_argument("--config", default="{}")
    parser.add_argument(
        "--base",
        choices=["demo", "engine"],
        default="engine",
        help="engine: LiftConfig defaults under --config; demo: the demo's old pinned recipe",
    )
    parser.add_argument("--text", default=str(SAMPLES / "varnholm.txt"))
    parser.add_argument(
        "--questions",
        action="append",
        default=[],
        help="a JSONL file of held-out questions about --text (repeatable; replaces the demo "
        "text's dev and demo sets), e.g. experiments/guild-roll-dev.jsonl",
    )
    parser.add_argument(
        "--train-probe",
        type=int,
        default=0,
        help="also answer every Nth of the memory's own training questions closed-book "
        "(greedy, scored on the first sentence): how much of what was taught is said",
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    base = dict(OLD_DEMO_RECIPE) if args.base == "demo" else {}
    base.update(json.loads(args.config))
    if args.generator == "facts":
        base.update(qa_generator="facts", qa_per_fact=args.per_fact, qa_count=None)
    config = LiftConfig.model_validate(base)
    loaded = load_model("smollm2-135m")
    home = Path(tempfile.mkdtemp())
    print(f"store: {home}", flush=True)  # kept, for experiments/retention_run.py
    store = MemoryStore(home)
    text = Path(args.text).read_text()
    started = time.perf_counter()

    def progress(p) -> None:
        if p.step % 25 == 0 or p.step == p.total_steps:
            facts = f" facts {p.facts_learned}/{p.facts_total}" if p.facts_total else ""
            print(
                f"{p.stage} epoch {p.epoch}/{p.epochs} step {p.step}/{p.total_steps} "
                f"loss {p.loss:.3f} {p.tokens_per_s:.0f} tok/s {p.elapsed_s:.0f}s{facts}",
                flush=True,
            )

    result = ingest(
        [Document("text", text)],
        "exp",
        store=store,
        model=loaded,
        config=config,
        on_progress=progress,
        on_stage=lambda message: print(message, flush=True),
    )
    seconds = time.perf_counter() - started
    memory = LiftMemory.load("exp", store=store, model=loaded)
    report = {
        "args": vars(args),
        "config": config.model_dump(),
        "ingest_s": seconds,
        "qa_pairs": len(result.qa_pairs),
        "final_loss": result.train.final_loss,
        "train_tokens": result.train.tokens,
        "metrics": result.manifest.metrics,
        # facts learned and tokens after each stage-2 epoch: where a recipe learns faster
        "learning_curve": [asdict(point) for point in result.train.learning_curve],
        "sets": {},
    }
    sets = [(Path(path).stem, Path(path)) for path in args.questions] or [
        ("dev", ROOT / "experiments" / "varnholm-dev.jsonl"),
        ("demo", SAMPLES / "varnholm-questions.jsonl"),
    ]
    for set_name, path in sets:
        rows = []
        for q, gold, kind in questions(path):
            a = memory.ask(q, max_new_tokens=32).text
            rows.append(
                {
                    "q": q,
                    "kind": kind,
                    "gold": gold,
                    "answer": a,
                    "hit": contains(a, gold),
                    "hit_first": contains(first_sentence(a), gold),
                }
            )
        report["sets"][set_name] = {
            "hits": sum(r["hit"] for r in rows),
            "hits_first_sentence": sum(r["hit_first"] for r in rows),
            "n": len(rows),
            "rows": rows,
        }
        first = sum(r["hit_first"] for r in rows)
        kinds = sorted({r["kind"] for r in rows if r["kind"]})
        report["sets"][set_name]["by_kind"] = {
            kind: [
                sum(r["hit"] for r in rows if r["kind"] == kind),
                sum(r["kind"] == kind for r in rows),
            ]
            for kind in kinds
        }
        print(
            set_name,
            sum(r["hit"] for r in rows),
            "/",
            len(rows),
            f"(first sentence {first})",
            flush=True,
        )
    if args.train_probe > 0:
        rows = []
        for pair in result.qa_pairs[:: args.train_probe]:
            a = memory.ask(pair.question, max_new_tokens=32).text
            hit = contains(first_sentence(a), [pair.answer])
            rows.append({"q": pair.question, "gold": pair.answer, "answer": a, "hit": hit})
        hits = sum(r["hit"] for r in rows)
        report["sets"]["train"] = {"hits_first_sentence": hits, "n": len(rows), "rows": rows}
        print("train", hits, "/", len(rows), "(first sentence)", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "sets"}, default=str))


if __name__ == "__main__":
    main()
