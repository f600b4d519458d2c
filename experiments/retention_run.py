"""Retention of stored memories with the memory forced on: generic accuracy and perplexity damage.

    python experiments/retention_run.py --probes 100 --out F.json HOME/memories/NAME [...]

For each memory directory: its answers to the bench's 16 generic questions and to ``--probes``
out-of-scope retention probes (half bundled generic questions, half SQuAD/HotpotQA questions on
other topics; with ``--generic-only``, the first ``--probes`` of the 110 bundled generic ones,
which share no template with what ingest trains on), scored by whole-word contains against gold
and by exact agreement with the base model's own answers; and the perplexity ratio (memory on /
off) over the bench's six unrelated texts. The base model's answers are computed once and shared by every memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from lift_memory_bench.generic import GENERIC_QUESTIONS
from lift_memory_bench.perplexity_damage import perplexity_damage, text_perplexities
from lift_memory_bench.retention_probes import GENERIC_PROBES, retention_probes

from lift_memory import LiftMemory, MemoryStore
from lift_memory.models import load_model
from lift_memory.scoring import contains_gold, normalize_answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("memories", nargs="+", help="memory directories: HOME/memories/NAME")
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--generic-only", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    loaded = load_model("smollm2-135m")
    probes = GENERIC_PROBES[: args.probes] if args.generic_only else retention_probes(args.probes)
    questions = [(q.question, q.answers) for q in GENERIC_QUESTIONS] + [
        (p.question, p.answers) for p in probes
    ]
    report: dict = {"questions": len(questions), "memories": {}}
    base_answers: list[str] | None = None
    base_ppl: dict[str, float] | None = None
    for directory in map(Path, args.memories):
        store = MemoryStore(directory.parent.parent)
        memory = LiftMemory.load(directory.name, store=store, model=loaded)
        if base_answers is None:
            base_answers = [
                memory.ask(q, use_memory=False, max_new_tokens=32).text for q, _ in questions
            ]
            base_ppl = text_perplexities(loaded, adapter=memory.adapter, use_memory=False)
            report["base"] = _scores(base_answers, base_answers, questions)
            print("base", report["base"], flush=True)
        answers = [memory.ask(q, max_new_tokens=32).text for q, _ in questions]
        damage = perplexity_damage(text_perplexities(loaded, adapter=memory.adapter), base_ppl)
        row = _scores(answers, base_answers, questions)
        row.update(
            perplexity_ratio=damage["perplexity_ratio"],
            perplexity_ratio_max=damage["perplexity_ratio_max"],
            config={
                k: memory.manifest.config.get(k)
                for k in ("adapter", "learning_rate", "contextualized", "lora_rank")
            },
            answers=answers,
        )
        report["memories"][str(directory)] = row
        print(
            directory,
            {k: v for k, v in row.items() if k not in ("answers", "probe_hits")},
            flush=True,
        )
        memory.detach()
        report["base_answers"] = base_answers
        Path(args.out).write_text(json.dumps(report, indent=1))  # after each: a long run's rows


def _scores(answers: list[str], base: list[str], questions: list) -> dict:
    generic = len(GENERIC_QUESTIONS)
    hits = [bool(contains_gold(a, gold)) for a, (_, gold) in zip(answers, questions, strict=True)]
    same = [normalize_answer(a) == normalize_answer(b) for a, b in zip(answers, base, strict=True)]
    return {
        "generic16_accuracy": statistics.fmean(hits[:generic]),
        "probe_accuracy": statistics.fmean(hits[generic:]) if hits[generic:] else None,
        "identical_to_base": statistics.fmean(same),
        "probe_hits": hits[generic:],
    }


if __name__ == "__main__":
    main()
