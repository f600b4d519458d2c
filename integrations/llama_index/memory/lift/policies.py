"""Selection policies of the hybrid router: which arm's answer to return.

A policy sees the evidence of both arms (and of the combined arm when it asks for it) and
returns a :class:`Selection`. Write your own by subclassing :class:`SelectionPolicy`.
"""

from __future__ import annotations

from abc import abstractmethod

from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.memory.lift.arms import ArmName, ArmResult
from llama_index.memory.lift.routing import RouteDecision


class RouterEvidence(BaseModel):
    """Everything the router knows about one question."""

    question: str
    memory: ArmResult
    retrieval: ArmResult
    combined: ArmResult | None = None
    agreement: float = Field(description="Agreement of the memory and retrieval answers, 0..1.")
    relevance: RouteDecision | None = Field(
        default=None, description="Relevance routing's decision for the question (auto mode)."
    )


class Selection(BaseModel):
    chosen: ArmName
    reason: str
    scores: dict[str, float] = Field(default_factory=dict)


class SelectionPolicy(BaseModel):
    """Chooses an arm. ``needs_combined`` asks the router to also run the combined arm."""

    needs_combined: bool = False

    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def select(self, evidence: RouterEvidence) -> Selection: ...


class ConfidencePolicy(SelectionPolicy):
    """The arm with the higher score.

    memory score    = confidence + gate_weight · mean gate
    retrieval score = (1 − similarity_weight) · confidence + similarity_weight · similarity

    where confidence is the answer's geometric-mean token probability and similarity the cosine
    similarity of the best retrieved passage (a RAG answer is only as good as its passages).
    """

    similarity_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    gate_weight: float = Field(default=0.0, ge=0.0)
    memory_bias: float = Field(default=0.0, description="Added to the memory score.")

    def select(self, evidence: RouterEvidence) -> Selection:
        memory, retrieval = evidence.memory, evidence.retrieval
        memory_score = memory.confidence + self.gate_weight * (memory.mean_gate or 0.0)
        memory_score += self.memory_bias
        similarity = max(retrieval.similarity or 0.0, 0.0)
        retrieval_score = (
            1 - self.similarity_weight
        ) * retrieval.confidence + self.similarity_weight * similarity
        if not retrieval.sources:
            retrieval_score = 0.0  # nothing was retrieved: the RAG arm answered closed-book
        chosen: ArmName = "memory" if memory_score >= retrieval_score else "retrieval"
        agree = " (the arms agree)" if evidence.agreement >= 0.5 else ""
        return Selection(
            chosen=chosen,
            reason=f"{chosen} scored higher: memory {memory_score:.3f} vs retrieval "
            f"{retrieval_score:.3f}{agree}",
            scores={"memory": memory_score, "retrieval": retrieval_score},
        )


class RetrievalFirstPolicy(SelectionPolicy):
    """Retrieval when a passage is similar enough to the question, else the memory."""

    min_similarity: float = Field(default=0.45, ge=-1.0, le=1.0)

    def select(self, evidence: RouterEvidence) -> Selection:
        similarity = evidence.retrieval.similarity
        if similarity is not None and similarity >= self.min_similarity:
            return Selection(
                chosen="retrieval",
                reason=f"best passage similarity {similarity:.3f} >= {self.min_similarity}",
                scores={"similarity": similarity},
            )
        shown = "none retrieved" if similarity is None else f"{similarity:.3f}"
        return Selection(
            chosen="memory",
            reason=f"best passage similarity {shown} < {self.min_similarity}: memory fallback",
            scores={"similarity": similarity if similarity is not None else -1.0},
        )


class AlwaysCombinePolicy(SelectionPolicy):
    """Always the combined arm: the memory model answering with the retrieved passages."""

    needs_combined: bool = True

    def select(self, evidence: RouterEvidence) -> Selection:
        return Selection(chosen="combined", reason="always-combine policy")
