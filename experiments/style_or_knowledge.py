"""Did a memory lose the base model's world knowledge, or only its way of answering?

    python experiments/style_or_knowledge.py --run RUN/report --out F.json

For every generic probe (the bench's 110, ``retention.answers`` of the run's lora arm) that the
base model answered right, the base model's own answer is fed to the memory teacher-forced, and
the gold answer's tokens inside it are scored: if the memory still gives each of them
probability ≥ 0.5 (greedy would write them) after the base model's own words, the knowledge is
there and the memory's damage is the path its greedy reply takes (its trained answering style);
if not, the fact itself moved. The summary splits the probes the memory forced on lost from
those it kept. The first reply token is compared too:
where the memory's greedy first token differs from the base model's, the two replies part at once.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import torch
from lift_memory_bench.generic import GENERIC_PROBES
from quality_run_memory import load_run_memory, run_arguments

from lift_memory import LiftMemory
from lift_memory.prompts import prompt_ids
from lift_memory.scoring import contains_gold


def gold_span(answer: str, gold: tuple[str, ...]) -> tuple[int, int] | None:
    """Character span of the first gold answer found in ``answer`` as whole words."""
    for option in gold:
        found = re.search(rf"(?<!\w){re.escape(option)}(?!\w)", answer, re.IGNORECASE)
        if found:
            return found.span()
    return None


@torch.no_grad()
def span_probabilities(
    memory: LiftMemory, question: str, reply: str, span: tuple[int, int], use_memory: bool
) -> tuple[float, int]:
    """The smallest probability of the span's tokens after the reply's own prefix, and the
    greedy first reply token."""
    tokenizer = memory.loaded.tokenizer
    prompt = prompt_ids(tokenizer, question)
    encoded = tokenizer(reply, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
    inside = [i for i, (a, b) in enumerate(offsets) if a < span[1] and b > span[0]]
    inputs = torch.tensor([prompt + ids], device=memory.loaded.device)
    model = memory.loaded.model
    if use_memory:
        logits = model(input_ids=inputs).logits[0]
    else:
        with memory.adapter.disabled():
            logits = model(input_ids=inputs).logits[0]
    probs = torch.softmax(logits.float(), dim=-1)
    start = len(prompt) - 1  # the logits at position p predict token p + 1
    smallest = min(float(probs[start + i, ids[i]]) for i in inside)
    return smallest, int(probs[start].argmax())


def main() -> None:
    args = run_arguments()
    run = Path(args.run)
    report = json.loads((run / "report.json").read_text())
    reference = report["retention_reference"]
    answers = report["results"]["lora"]["retention"]["answers"]
    gold = {p.question: p.answers for p in GENERIC_PROBES}
    memory, _directory = load_run_memory(run)
    rows = []
    for question, base, mine in zip(
        reference["questions"], reference["base_answers"], answers, strict=True
    ):
        if not contains_gold(base, gold[question]):
            continue
        span = gold_span(base, gold[question])
        if span is None:
            continue
        with_memory, first_on = span_probabilities(memory, question, base, span, True)
        without, first_off = span_probabilities(memory, question, base, span, False)
        rows.append(
            {
                "question": question,
                "base": base,
                "memory": mine,
                "lost": not contains_gold(mine, gold[question]),
                "gold_p_memory": with_memory,
                "gold_p_base": without,
                "same_first_token": first_on == first_off,
            }
        )
        print(f"{with_memory:.2f} {without:.2f} {first_on == first_off!s:5} {question}", flush=True)
    summary = {}
    for name, part in (
        ("lost", [r for r in rows if r["lost"]]),
        ("kept", [r for r in rows if not r["lost"]]),
    ):
        summary[name] = {
            "probes": len(part),
            "gold_greedy_after_base_prefix_memory": sum(r["gold_p_memory"] >= 0.5 for r in part),
            "gold_greedy_after_base_prefix_base": sum(r["gold_p_base"] >= 0.5 for r in part),
            "median_gold_p_memory": statistics.median(r["gold_p_memory"] for r in part),
            "median_gold_p_base": statistics.median(r["gold_p_base"] for r in part),
            "same_first_token": sum(r["same_first_token"] for r in part),
        }
    print(summary)
    Path(args.out).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
