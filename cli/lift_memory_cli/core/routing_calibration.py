"""The routing step of the ingest pipeline (after the Chroma arm is built): calibrate relevance
routing and the hybrid router on the memory just trained, and record both in its manifest's
``extra["routing"]``.

In scope: the memory's own training questions (``qa.jsonl``, up to :data:`IN_SCOPE_LIMIT`,
a seeded sample). Out of scope: :func:`lift_memory_cli.core.out_of_scope.out_of_scope_questions`.
The hybrid router's arms (memory, retrieval, combined) answer :data:`HYBRID_SAMPLE` of the
training questions, and how often each is right per confidence / similarity bin becomes the
:class:`~llama_index.memory.lift.CalibratedPolicy`'s evidence.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from lift_memory.qa.jsonl_io import read_qa_jsonl
from lift_memory_cli.core.base_model import load_base_model
from lift_memory_cli.core.out_of_scope import out_of_scope_questions
from lift_memory_cli.core.rag_arm import open_rag_arm, rag_info
from lift_memory_cli.core.routing import ROUTING_KEY

if TYPE_CHECKING:
    from collections.abc import Callable

    from lift_memory.memory import LiftMemory
    from lift_memory.models import LoadedModel
    from lift_memory.qa import QAPair
    from lift_memory.store import MemoryStore
    from lift_memory_cli.core.ingesting import IngestEvents

IN_SCOPE_LIMIT = 200
HYBRID_SAMPLE = 24
HYBRID_MAX_NEW_TOKENS = 24
SEED = 0


def in_scope_pairs(store: MemoryStore, name: str, limit: int = IN_SCOPE_LIMIT) -> list[QAPair]:
    """Up to ``limit`` of the memory's training QA pairs, one per question (seeded sample)."""
    path = store.qa_path(name)
    pairs = read_qa_jsonl(path) if path.exists() else []
    unique = list({pair.question.strip(): pair for pair in pairs if pair.question.strip()}.values())
    if len(unique) > limit:
        unique = random.Random(SEED).sample(unique, limit)
    return unique


def calibrate_routing(
    memory: LiftMemory,
    retrieval: Any,
    pairs: list[QAPair],
    out_of_scope: list[str],
    *,
    sources: dict[str, int] | None = None,
    hybrid_sample: int = HYBRID_SAMPLE,
    max_new_tokens: int = HYBRID_MAX_NEW_TOKENS,
) -> dict[str, Any]:
    """The routing calibration of ``memory`` over ``retrieval`` (its Chroma arm): relevance
    threshold and separation, and the hybrid arms' measured reliability (JSON-able)."""
    from llama_index.memory.lift import (
        ConfidencePolicy,
        HybridRouterQueryEngine,
        RelevanceRouter,
        RelevanceScorer,
        calibrate_relevance,
        measure_arm_reliability,
    )

    scorer = RelevanceScorer(memory, retrieval)
    calibration = calibrate_relevance(
        scorer, [p.question for p in pairs], out_of_scope, out_of_scope_sources=sources
    )
    data = calibration.model_dump(mode="json")
    sample = pairs[:hybrid_sample]
    if sample:
        engine = HybridRouterQueryEngine(
            memory,
            retrieval,
            router=RelevanceRouter(memory, retrieval, calibration),
            policy=ConfidencePolicy(),  # any: only the arms' answers are measured
            run_combined=True,
            max_new_tokens=max_new_tokens,
        )
        measured = measure_arm_reliability(engine, [(p.question, [p.answer]) for p in sample])
        data["hybrid"] = measured.model_dump(mode="json")
    return data


def record_routing(store: MemoryStore, name: str, data: dict[str, Any]) -> None:
    """Write ``data`` as the manifest's ``extra["routing"]``."""
    with store.lock(name):
        manifest = store.read_manifest(name)
        extra = {**manifest.extra, ROUTING_KEY: data}
        store.write_manifest(manifest.model_copy(update={"extra": extra}))


def build_routing(store: MemoryStore, name: str, loaded: LoadedModel) -> dict[str, Any] | None:
    """Calibrate routing for memory ``name`` on ``loaded`` (its base model, no adapter on it)
    and record it; None when it cannot be (no retrieval arm, or no training questions)."""
    from lift_memory.memory import LiftMemory

    manifest = store.read_manifest(name)
    info = rag_info(manifest)
    pairs = in_scope_pairs(store, name)
    if info is None or not pairs:
        return None
    if manifest.adapter_kind == "pissa":  # its ingest left the base weights rewritten
        loaded = load_base_model(manifest.base_model, store.home)
    memory = LiftMemory.load(name, store=store, model=loaded)
    retrieval = open_rag_arm(store, name, info)
    try:
        questions, sources = out_of_scope_questions(memory.corpus)
        data = calibrate_routing(memory, retrieval, pairs, questions, sources=sources)
    finally:
        retrieval.close()
        if memory.adapter.kind != "pissa":  # PiSSA changed the base weights: nothing to take off
            memory.detach()
    record_routing(store, name, data)
    return data


def routing_step(
    store: MemoryStore, name: str, events: IngestEvents, load: Callable[[], LoadedModel]
) -> dict[str, Any] | None:
    """The ingest pipeline's routing step, reported to ``events``; ``load`` gives the memory's
    base model without an adapter (the one the ingest trained on, or a fresh load). Skipped
    (None) for a memory without a retrieval arm."""
    if rag_info(store.read_manifest(name)) is None:
        return None
    events.stage("calibrating relevance routing")
    data = build_routing(store, name, load())
    if data is None:
        events.done("relevance routing not calibrated: no training questions to calibrate on")
        return None
    auc = data.get("auc")
    events.done(
        f"calibrated relevance routing: {data['score_kind']} >= {data['threshold']:.3f} "
        f"(ROC AUC {'-' if auc is None else f'{auc:.3f}'}; in scope {data['in_scope_rate']:.0%}, "
        f"out of scope {data['out_of_scope_rate']:.0%} routed to the memory)"
    )
    return data
