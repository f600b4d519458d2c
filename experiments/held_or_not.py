"""Does the memory hold the retention samples it was trained on, and does that carry to probes?

For a quality run's memory: the mean per-token KL(base || memory) on the base model's own greedy
reply, teacher-forced, for the retention prompts the memory trained on and for the bench's
generic probes (which it never saw), with the share of replies whose every token stays greedy.
On the quality corpus the trained replies are held ~4x closer than the probes' (docs/benchmarks.md,
nineteenth session). Usage: python experiments/held_or_not.py --run RUN/report --out F.json
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import torch
from lift_memory_bench.generic import GENERIC_PROBES
from quality_run_memory import load_run_memory, run_arguments

from lift_memory import LiftMemory
from lift_memory.batched_generation import greedy_replies
from lift_memory.prompts import prompt_ids


@torch.no_grad()
def drift(memory: LiftMemory, question: str, reply: str) -> tuple[float, bool]:
    """Mean KL(base || memory) over the reply's tokens, and whether the memory keeps every
    reply token greedy."""
    tokenizer = memory.loaded.tokenizer
    prompt = prompt_ids(tokenizer, question) if question else []
    ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
    if not prompt:
        prompt, ids = ids[:1], ids[1:]
    inputs = torch.tensor([prompt + ids], device=memory.loaded.device)
    model = memory.loaded.model
    start = len(prompt) - 1
    on = model(input_ids=inputs).logits[0, start : start + len(ids)].float().log_softmax(-1)
    with memory.adapter.disabled():
        off = model(input_ids=inputs).logits[0, start : start + len(ids)].float().log_softmax(-1)
    kl = (off.exp() * (off - on)).sum(-1).mean().item()
    kept = bool((on.argmax(-1) == torch.tensor(ids, device=on.device)).all())
    return kl, kept


def main() -> None:
    args = run_arguments()
    memory, directory = load_run_memory(Path(args.run))
    loaded = memory.loaded
    trained = [json.loads(line) for line in (directory / "retention.jsonl").open()]
    groups: dict[str, list[tuple[str, str]]] = {
        "trained prompts": [(p, a) for p, a in trained if p],
        "trained passages": [("", a) for p, a in trained if not p],
    }
    questions = [p.question for p in GENERIC_PROBES]
    with memory.adapter.disabled():
        base = greedy_replies(loaded, questions, max_new_tokens=24)
    groups["generic probes"] = [(q, a) for q, a in zip(questions, base, strict=True) if a]
    summary = {}
    for name, pairs in groups.items():
        rows = [drift(memory, q, a) for q, a in pairs]
        summary[name] = {
            "samples": len(rows),
            "median_kl": statistics.median(k for k, _ in rows),
            "mean_kl": statistics.fmean(k for k, _ in rows),
            "all_tokens_greedy": sum(kept for _, kept in rows),
        }
        print(name, summary[name], flush=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
