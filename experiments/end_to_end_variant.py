"""The real-model end-to-end test's ingest and questions with config overrides, for a variant.

    python experiments/end_to_end_variant.py '{"qa_restate_modifiers": true}'

Prints each question's answer, the facts answered (the test wants 4 of 5) and whether the
unrelated control answer is unchanged, as `tests/test_real_model_e2e.py` checks them.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

from lift_memory import Document, LiftMemory, MemoryStore, ingest
from lift_memory.answer import generate_answer
from lift_memory.models import load_model
from lift_memory.scoring import contains_gold

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    spec = importlib.util.spec_from_file_location("e2e", ROOT / "tests" / "test_real_model_e2e.py")
    assert spec is not None and spec.loader is not None
    e2e = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(e2e)
    overrides = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    config = e2e.CONFIG.model_copy(update=overrides)
    loaded = load_model("smollm2-135m")
    before = generate_answer(loaded, e2e.UNRELATED, max_new_tokens=32).text
    store = MemoryStore(Path(tempfile.mkdtemp()))
    started = time.perf_counter()
    result = ingest(
        [Document("varnholm.txt", e2e.DOCUMENT)], "varnholm", store=store, model=loaded,
        config=config,
    )  # fmt: skip
    memory = LiftMemory.load("varnholm", store=store, model=loaded)
    hits = 0
    for question, fact in e2e.QUESTIONS:
        answer = memory.ask(question, max_new_tokens=32).text
        hit = contains_gold(answer, [fact])
        hits += hit
        print("[x]" if hit else "[ ]", question, "->", answer, flush=True)
    after = memory.ask(e2e.UNRELATED, max_new_tokens=32).text
    print(
        f"facts {hits}/{len(e2e.QUESTIONS)}, control identical: {after == before} ({after!r}), "
        f"ingest {time.perf_counter() - started:.0f} s, {len(result.qa_pairs)} QA pairs"
    )


if __name__ == "__main__":
    main()
