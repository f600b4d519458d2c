"""Relevance routing: the memory answers only questions about its corpus.

Answer modes: ``auto`` routes each question by its relevance score (``relevance.py``) against
the threshold calibrated at ingest (``calibration.py``, the manifest's ``extra["routing"]``):
at or above it the memory answers, below it the base model with the memory switched off — the
base model's answer exactly. ``memory`` and ``base`` force one side.

Scaling: ``hard`` (the default) is that switch; ``soft`` scales the memory by the relevance
instead (a LoRA's update, a Gated Memory's gate) — a ramp from 0 at ``threshold - soft_width``
(the base model exactly) to 1 at ``threshold + soft_width`` (the memory as trained). PiSSA cannot
be faded out towards the base model: soft acts hard.

A memory without a calibration (built with the engine's ``ingest`` alone, or ``--no-rag``)
answers every question in ``auto`` with the memory, as before routing existed, and says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Literal

from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.memory.lift.calibration import RoutingCalibration
from llama_index.memory.lift.relevance import RelevanceScorer, relevance_score
from llama_index.memory.lift.retrieval import AnyRetriever, ChromaRetrievalArm, RetrievedPassages

from lift_memory.adapters import Adapter
from lift_memory.manifest import Manifest
from lift_memory.memory import LiftMemory
from lift_memory.store import MemoryStore

AnswerMode = Literal["auto", "memory", "base"]
ANSWER_MODES: tuple[AnswerMode, ...] = ("auto", "memory", "base")
Scaling = Literal["hard", "soft"]
SCALINGS: tuple[Scaling, ...] = ("hard", "soft")
ROUTING_KEY = "routing"  # the manifest's extra["routing"]


class RouteDecision(BaseModel):
    """Which side answers one question, and why."""

    route: Literal["memory", "base"]
    gate_scale: float = Field(
        description="1: the memory as trained; 0: the base model exactly; between: soft scaling."
    )
    mode: AnswerMode
    scaling: Scaling = "hard"
    score: float | None = None
    threshold: float | None = None
    score_kind: str | None = None
    features: dict[str, float | None] = Field(default_factory=dict)
    reason: str

    @property
    def use_memory(self) -> bool:
        return self.gate_scale > 0.0


def forced_route(mode: Literal["memory", "base"]) -> RouteDecision:
    return RouteDecision(
        route=mode,
        gate_scale=1.0 if mode == "memory" else 0.0,
        mode=mode,
        reason=f"mode {mode} (forced)",
    )


def routing_calibration(manifest: Manifest) -> RoutingCalibration | None:
    """The calibration recorded at ingest, None if the memory has none (or an unreadable one)."""
    return calibration_from(manifest.extra.get(ROUTING_KEY))


def calibration_from(data: Any) -> RoutingCalibration | None:
    """A recorded ``extra["routing"]`` as a :class:`RoutingCalibration` (None if it is not one)."""
    if not isinstance(data, dict) or "threshold" not in data:
        return None
    try:
        return RoutingCalibration.model_validate(
            {k: v for k, v in data.items() if k in RoutingCalibration.model_fields}
        )
    except ValueError:
        return None


def memory_chroma_arm(
    memory: LiftMemory, store: MemoryStore | None = None
) -> ChromaRetrievalArm | None:
    """The memory's own Chroma arm, where the manifest's ``extra["rag"]`` says it is: a server,
    the store's folder for it, or (no store given) the folder recorded at ingest."""
    info = memory.manifest.extra.get("rag")
    if not isinstance(info, dict):
        return None
    name = memory.manifest.name
    chunk = {"chunk_size": int(info["chunk_size"])} if info.get("chunk_size") else {}
    if info.get("url") or store is not None:
        return ChromaRetrievalArm.for_memory(name, store=store, url=info.get("url"), **chunk)
    if not info.get("path"):
        return None
    return ChromaRetrievalArm(
        collection_name=str(info.get("collection")), path=str(info["path"]), **chunk
    )


def gate_scaled(adapter: Adapter, factor: float) -> contextlib.AbstractContextManager[Any]:
    """The adapter's effect multiplied by ``factor`` (a Gated Memory's gate, a LoRA's scaling;
    an adapter that cannot be scaled, PiSSA, stays unchanged)."""
    if adapter.scalable and factor < 1.0:
        return adapter.scaled(factor)
    return contextlib.nullcontext()


def soft_factor(score: float, threshold: float, width: float) -> float:
    """The soft gate scale: 0 at or below ``threshold - width``, 1 at or above ``+ width``."""
    return min(1.0, max(0.0, (score - (threshold - width)) / (2.0 * width)))


class RelevanceRouter:
    """Decides, per question, whether the memory or the base model answers (``mode="auto"``)."""

    def __init__(
        self,
        memory: LiftMemory,
        retrieval: AnyRetriever | None = None,
        calibration: RoutingCalibration | None = None,
        *,
        scaling: Scaling = "hard",
    ) -> None:
        if calibration is not None and retrieval is None:
            raise ValueError("a calibrated router needs the retriever it was calibrated with")
        self.memory = memory
        self.calibration = calibration
        self.scaling = scaling
        self.scorer = RelevanceScorer(memory, retrieval) if retrieval is not None else None

    @classmethod
    def for_memory(
        cls,
        memory: LiftMemory,
        *,
        store: MemoryStore | None = None,
        retrieval: AnyRetriever | None = None,
        scaling: Scaling = "hard",
    ) -> RelevanceRouter:
        """The router the memory's manifest calibrated, over ``retrieval`` or its own Chroma arm
        (opened only when there is a calibration to use)."""
        calibration = routing_calibration(memory.manifest)
        if calibration is not None and retrieval is None:
            retrieval = memory_chroma_arm(memory, store)
            if retrieval is None:
                calibration = None
        return cls(memory, retrieval, calibration, scaling=scaling)

    @property
    def calibrated(self) -> bool:
        return self.calibration is not None

    def decide(
        self,
        question: str,
        *,
        mode: AnswerMode = "auto",
        retrieved: RetrievedPassages | None = None,
    ) -> RouteDecision:
        """The route for ``question``; ``retrieved`` reuses the memory arm's retrieval for it."""
        if mode != "auto":
            return forced_route(mode)
        calibration = self.calibration
        if calibration is None or self.scorer is None:
            return RouteDecision(
                route="memory",
                gate_scale=1.0,
                mode="auto",
                scaling=self.scaling,
                reason="the memory has no routing calibration (ingest --resume with its "
                "retrieval arm adds one): the memory answers",
            )
        with_gate = calibration.score_kind == "gate"
        features = self.scorer.features(question, retrieved=retrieved, with_gate=with_gate)
        score = relevance_score(features, calibration.score_kind)
        threshold = calibration.threshold
        if self.scaling == "soft" and self.memory.adapter.scalable:
            scale = soft_factor(score, threshold, calibration.soft_width)
            how = f"soft: gate x {scale:.2f}" if 0.0 < scale < 1.0 else ""
        else:
            scale = 1.0 if score >= threshold else 0.0
            how = ""
        route: Literal["memory", "base"] = "memory" if scale > 0.0 else "base"
        relation = ">=" if score >= threshold else "<"
        reason = f"{calibration.score_kind} {score:.3f} {relation} threshold {threshold:.3f}"
        reason += f": {how}" if how else f": {route}"
        return RouteDecision(
            route=route,
            gate_scale=scale,
            mode="auto",
            scaling=self.scaling,
            score=score,
            threshold=threshold,
            score_kind=calibration.score_kind,
            features=features.to_json(),
            reason=reason,
        )


@contextlib.contextmanager
def routed(adapter: Adapter, decision: RouteDecision) -> Iterator[bool]:
    """Apply ``decision`` around a generation: yields ``use_memory``, with a soft scale set."""
    with gate_scaled(adapter, decision.gate_scale if decision.use_memory else 1.0):
        yield decision.use_memory
