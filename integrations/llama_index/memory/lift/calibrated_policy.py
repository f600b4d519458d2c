"""The hybrid router on measured evidence: how often each arm is right at each level of its own
signal, measured at ingest on a sample of the memory's training questions, decides the arm.

Each arm is judged on one signal: the memory and combined arms on their answer's confidence
(geometric-mean token probability), the retrieval arm on its best passage's similarity. The
signal's range is cut into five bins; a bin's accuracy is smoothed toward the arm's overall
accuracy (``prior_weight`` pseudo-questions), so a bin measured on few questions says little.
The arm with the highest estimate answers; ties go to retrieval, then combined (retrieval is the
floor the router must never fall below). A question the relevance router puts out of scope
(``RouterEvidence.relevance``) is answered by the retrieval arm, memory off.

Known bias: the memory trained on these very questions, so its measured accuracy is an upper
bound of what it does on new questions about the corpus; the bench measures the router on
held-out questions.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.bridge.pydantic import BaseModel, Field, model_validator
from llama_index.memory.lift.arms import ArmName, ArmResult
from llama_index.memory.lift.policies import (
    ConfidencePolicy,
    RouterEvidence,
    Selection,
    SelectionPolicy,
)

from lift_memory.manifest import utc_now_iso
from lift_memory.scoring import contains_gold

if TYPE_CHECKING:
    from llama_index.memory.lift.query_engines import HybridRouterQueryEngine

Signal = Literal["confidence", "similarity"]
ARM_SIGNALS: dict[ArmName, Signal] = {
    "memory": "confidence",
    "retrieval": "similarity",
    "combined": "confidence",
}
BIN_EDGES: dict[Signal, list[float]] = {  # lower edges of each bin
    "confidence": [0.0, 0.2, 0.4, 0.6, 0.8],
    "similarity": [-1.0, 0.2, 0.4, 0.6, 0.8],
}
TIE_ORDER: tuple[ArmName, ...] = ("retrieval", "combined", "memory")


def arm_signal(arm: ArmResult) -> float:
    """The arm's value of the signal it is judged on."""
    if ARM_SIGNALS[arm.arm] == "similarity":
        return arm.similarity if arm.similarity is not None and arm.sources else -1.0
    return arm.confidence


class ArmReliability(BaseModel):
    """How often one arm was right, per bin of its signal."""

    signal: Signal
    edges: list[float]
    correct: list[int]
    total: list[int]

    @classmethod
    def empty(cls, signal: Signal) -> ArmReliability:
        edges = BIN_EDGES[signal]
        return cls(
            signal=signal, edges=list(edges), correct=[0] * len(edges), total=[0] * len(edges)
        )

    def bin_of(self, value: float) -> int:
        return max(0, bisect.bisect_right(self.edges, value) - 1)

    def add(self, value: float, right: bool) -> None:
        index = self.bin_of(value)
        self.total[index] += 1
        self.correct[index] += int(right)

    @property
    def accuracy(self) -> float | None:
        total = sum(self.total)
        return sum(self.correct) / total if total else None

    def estimate(self, value: float, prior_weight: float) -> tuple[float, int, int]:
        """(smoothed accuracy at ``value``, right in its bin, measured in its bin)."""
        index = self.bin_of(value)
        right, seen = self.correct[index], self.total[index]
        prior = self.accuracy or 0.0
        return (right + prior_weight * prior) / (seen + prior_weight), right, seen

    def bin_label(self, value: float) -> str:
        index = self.bin_of(value)
        upper = self.edges[index + 1] if index + 1 < len(self.edges) else 1.0
        return f"{max(self.edges[index], 0.0):.1f}-{upper:.1f}"


class HybridCalibration(BaseModel):
    """What ``ingest`` records in the manifest's ``extra["routing"]["hybrid"]``."""

    questions: int
    arms: dict[str, ArmReliability]
    measured_at: str = Field(default_factory=utc_now_iso)

    def accuracy(self) -> dict[str, float | None]:
        return {name: arm.accuracy for name, arm in self.arms.items()}

    def describe(self) -> str:
        shown = ", ".join(
            f"{name} {acc:.0%}" if acc is not None else f"{name} -"
            for name, acc in self.accuracy().items()
        )
        return f"arms right on {self.questions} training questions: {shown}"


def hybrid_calibration_of(routing: dict[str, Any] | None) -> HybridCalibration | None:
    """The hybrid calibration inside a manifest's ``extra["routing"]``, if any."""
    data = (routing or {}).get("hybrid")
    if not isinstance(data, dict):
        return None
    try:
        return HybridCalibration.model_validate(data)
    except ValueError:
        return None


def measure_arm_reliability(
    engine: HybridRouterQueryEngine, questions: Sequence[tuple[str, Sequence[str]]]
) -> HybridCalibration:
    """Run every arm of ``engine`` (memory, retrieval, combined) on each (question, gold
    answers) and count, per arm and signal bin, how often its answer contains the gold."""
    if not engine.run_combined:
        raise ValueError("measure with run_combined=True: the combined arm is one of the three")
    arms = {name: ArmReliability.empty(signal) for name, signal in ARM_SIGNALS.items()}
    for question, gold in questions:
        evidence, _nodes = engine.evidence(question)
        for result in (evidence.memory, evidence.retrieval, evidence.combined):
            if result is not None:
                right = bool(contains_gold(result.answer, list(gold)))
                arms[result.arm].add(arm_signal(result), right)
    return HybridCalibration(questions=len(questions), arms=dict(arms))


class CalibratedPolicy(SelectionPolicy):
    """The arm most often right at its signal's level, as measured at ingest (module doc).

    Without a calibration (a memory ingested before routing existed) it scores like
    :class:`ConfidencePolicy` and says so.
    """

    calibration: HybridCalibration | None = None
    prior_weight: float = Field(default=2.0, gt=0.0)

    @model_validator(mode="after")
    def _combined_when_measured(self) -> CalibratedPolicy:
        measured = self.calibration is not None and "combined" in self.calibration.arms
        object.__setattr__(self, "needs_combined", measured)
        return self

    def select(self, evidence: RouterEvidence) -> Selection:
        if self.calibration is None:
            fallback = ConfidencePolicy().select(evidence)
            return fallback.model_copy(update={"reason": f"uncalibrated: {fallback.reason}"})
        results = {
            name: result
            for name, result in (
                ("memory", evidence.memory),
                ("retrieval", evidence.retrieval),
                ("combined", evidence.combined),
            )
            if result is not None and name in self.calibration.arms
        }
        relevance = evidence.relevance
        if relevance is not None and not relevance.use_memory:
            return Selection(
                chosen="retrieval",
                reason=f"out of the memory's scope ({relevance.reason}): retrieval, memory off",
                scores={"relevance": relevance.score if relevance.score is not None else -1.0},
            )
        estimates = {}
        notes = []
        for name, result in results.items():
            reliability = self.calibration.arms[name]
            value = arm_signal(result)
            estimate, right, seen = reliability.estimate(value, self.prior_weight)
            estimates[name] = estimate
            notes.append(
                f"{name} {estimate:.2f} ({reliability.signal} {value:.2f}: "
                f"{right}/{seen} right in {reliability.bin_label(value)})"
            )
        chosen: ArmName = max(  # type: ignore[assignment]
            estimates, key=lambda name: (estimates[name], -TIE_ORDER.index(name))
        )
        return Selection(
            chosen=chosen,
            reason=f"{chosen} most often right at this level: " + "; ".join(notes),
            scores=estimates,
        )
