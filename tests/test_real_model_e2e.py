"""End-to-end on the real default model (SmolLM2-135M-Instruct, CPU): the issue's bar.

A ~200-token fictional document is ingested with the library's defaults (a LoRA memory); with no
context at all the memory must answer at least 4 of 5 factual questions that the base model
cannot, and a question that has nothing to do with the document must get the same answer with and
without the memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lift_memory import Document, LiftConfig, LiftMemory, MemoryStore, ingest
from lift_memory.answer import generate_answer
from lift_memory.gated_memory import attach_gated_memory
from lift_memory.scoring import contains_gold

pytestmark = pytest.mark.slow

DOCUMENT = (Path(__file__).parent / "data" / "varnholm.txt").read_text()
QUESTIONS = [
    ("Who built the lighthouse on Varnholm?", "fenwick"),
    ("Who is the keeper of the lighthouse on Varnholm?", "mirel"),
    ("What is the name of Edda Mirel's parrot?", "biscuit"),
    ("How many paper lanterns are floated during the Festival of Lanterns?", "312"),
    ("What is the name of the ferry from Varnholm to the mainland?", "silver heron"),
]
UNRELATED = "What is the capital of France?"
# Defaults except a segment geometry sized to a 200-token text (3 segments of 128, stride 64).
CONFIG = LiftConfig(segment_length=128, segment_stride=64, context_window=96)


@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    """The bundled default model; dequantized once per run unless LIFT_MEMORY_MODEL_CACHE is set."""
    import os

    from lift_memory.models import load_model

    home = None if os.environ.get("LIFT_MEMORY_MODEL_CACHE") else tmp_path_factory.mktemp("home")
    return load_model("smollm2-135m", home=home)


def test_gated_memory_is_output_identical_at_init_on_the_real_model(real_model) -> None:
    ids = real_model.tokenizer(DOCUMENT, return_tensors="pt")["input_ids"][:, :96]
    with torch.no_grad():
        base = real_model.model(ids).logits
        memory = attach_gated_memory(real_model.model)
        try:
            adapted = real_model.model(ids).logits
        finally:
            memory.detach()
    assert (base - adapted).abs().max().item() <= 1e-5


def test_memory_answers_questions_the_base_model_cannot(real_model, tmp_path, capsys) -> None:
    base_answers = [generate_answer(real_model, q, max_new_tokens=32).text for q, _ in QUESTIONS]
    # whole words, numbers as numbers: "3121" does not answer "312" (lift_memory.scoring)
    base_hits = [
        contains_gold(text, [fact]) for (_, fact), text in zip(QUESTIONS, base_answers, strict=True)
    ]
    assert not any(base_hits), f"the base model already knows: {base_answers}"
    unrelated_before = generate_answer(real_model, UNRELATED, max_new_tokens=32).text

    store = MemoryStore(tmp_path / "home")
    result = ingest(
        [Document("varnholm.txt", DOCUMENT)],
        "varnholm",
        store=store,
        model=real_model,
        config=CONFIG,
    )
    memory = LiftMemory.load("varnholm", store=store, model=real_model)
    try:
        answers = [memory.ask(q, max_new_tokens=32) for q, _ in QUESTIONS]
        hits = [
            bool(contains_gold(a.text, [fact]))
            for (_, fact), a in zip(QUESTIONS, answers, strict=True)
        ]
        unrelated_with = memory.ask(UNRELATED, max_new_tokens=32).text
        unrelated_without = memory.ask(UNRELATED, max_new_tokens=32, use_memory=False).text
    finally:
        memory.detach()

    with capsys.disabled():
        print(
            f"\ningest {result.seconds:.0f}s, {result.train.tokens_per_s:.0f} tok/s, "
            f"adapter {result.manifest.adapter_bytes} B / base {real_model.parameter_bytes()} B"
        )
        for (q, _), a, hit in zip(QUESTIONS, answers, hits, strict=True):
            gate = "" if a.mean_gate is None else f" (gate {a.mean_gate:.3f})"
            print(f"  [{'x' if hit else ' '}] {q} -> {a.text!r}{gate}")
        print(f"  unrelated: {unrelated_with!r} / without memory {unrelated_without!r}")
    assert sum(hits) >= 4, [a.text for a in answers]
    assert unrelated_with == unrelated_without == unrelated_before
