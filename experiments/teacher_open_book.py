"""How often the frozen base model answers correctly with the fact's paragraph in its prompt:
the ceiling of self-distillation (issue 18, item 2), measured on the dev questions.

    python experiments/teacher_open_book.py
"""

from __future__ import annotations

import json
from pathlib import Path

from lift_memory.answer import generate_answer
from lift_memory.models import load_model
from lift_memory.qa.facts import paragraphs
from lift_memory.scoring import contains_gold

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "cli" / "lift_memory_cli" / "samples"


def main() -> None:
    loaded = load_model("smollm2-135m")
    blocks = paragraphs((SAMPLES / "varnholm.txt").read_text())
    rows = [
        json.loads(x)
        for x in (ROOT / "experiments" / "varnholm-dev.jsonl").read_text().splitlines()
    ]
    hits = closed = 0
    for row in rows:
        gold = [row["answer"]] if isinstance(row["answer"], str) else row["answer"]
        source = next((b for b in blocks if any(g.lower() in b.lower() for g in gold)), "")
        open_book = generate_answer(loaded, row["question"], context=source, max_new_tokens=32)
        no_book = generate_answer(loaded, row["question"], max_new_tokens=32)
        hit = bool(contains_gold(open_book.text, gold))
        hits += hit
        closed += bool(contains_gold(no_book.text, gold))
        print("+" if hit else "-", row["question"], "|", open_book.text[:80], flush=True)
    print(f"open book {hits}/{len(rows)}; closed book {closed}/{len(rows)}")


if __name__ == "__main__":
    main()
