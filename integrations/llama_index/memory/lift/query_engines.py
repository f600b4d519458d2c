"""Query engines over a LIFT memory: the memory alone, and the hybrid memory/Chroma router."""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore
from llama_index.memory.lift.arms import ArmResult, answer_agreement, ask_memory, source_record
from llama_index.memory.lift.policies import (
    ConfidencePolicy,
    RouterEvidence,
    Selection,
    SelectionPolicy,
)
from llama_index.memory.lift.retrieval import ChromaRetrievalArm, passage_text

from lift_memory.memory import LiftMemory


class ParametricQueryEngine(CustomQueryEngine):
    """Answers from the memory's weights: closed-book, or with a truncated corpus view."""

    context: Literal["none", "truncated"] = Field(default="none")
    max_new_tokens: int = Field(default=48, gt=0)

    _memory: LiftMemory = PrivateAttr()

    def __init__(self, memory: LiftMemory, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._memory = memory

    @property
    def memory(self) -> LiftMemory:
        return self._memory

    def answer(self, question: str) -> ArmResult:
        answer = ask_memory(
            self._memory, question, context=self.context, max_new_tokens=self.max_new_tokens
        )
        return ArmResult.from_answer("memory", answer)

    def custom_query(self, query_str: str) -> Response:
        result = self.answer(query_str)
        return Response(
            response=result.answer,
            source_nodes=[],
            metadata={
                "memory": self._memory.manifest.name,
                "context": self.context,
                **result.model_dump(exclude={"sources", "similarity"}),
            },
        )


class HybridRouterQueryEngine(CustomQueryEngine):
    """Runs the memory arm and the Chroma retrieval arm, scores both, returns the chosen answer.

    The response's ``metadata`` holds ``chosen``, ``reason``, ``policy``, ``agreement``,
    ``scores`` and ``arms`` (each arm's answer, confidence, gate, similarity and sources), so
    both arms can be compared on every question; ``source_nodes`` are the retrieved chunks.
    """

    retrieval: ChromaRetrievalArm
    policy: SelectionPolicy = Field(default_factory=ConfidencePolicy)
    memory_context: Literal["none", "truncated"] = Field(
        default="none", description="Context of the memory arm."
    )
    run_combined: bool = Field(
        default=False, description="Also run the combined arm when the policy does not need it."
    )
    max_new_tokens: int = Field(default=48, gt=0)

    _memory: LiftMemory = PrivateAttr()

    def __init__(self, memory: LiftMemory, retrieval: ChromaRetrievalArm, **kwargs: Any) -> None:
        super().__init__(retrieval=retrieval, **kwargs)
        self._memory = memory

    @property
    def memory(self) -> LiftMemory:
        return self._memory

    def evidence(self, question: str) -> tuple[RouterEvidence, list[NodeWithScore]]:
        """Run the arms on ``question``: their answers, scores and the retrieved nodes."""
        nodes = self.retrieval.retrieve(question)
        passages = [passage_text(node) for node in nodes]
        similarities = [self.retrieval.cosine_similarity(node) for node in nodes]
        sources = [
            source_record(node, similarity, text)
            for node, similarity, text in zip(nodes, similarities, passages, strict=True)
        ]
        best = max(similarities) if similarities else None
        ask = {"max_new_tokens": self.max_new_tokens}
        memory = ArmResult.from_answer(
            "memory", ask_memory(self._memory, question, context=self.memory_context, **ask)
        )
        retrieval = ArmResult.from_answer(
            "retrieval",
            ask_memory(
                self._memory,
                question,
                context="passages" if passages else "none",
                passages=passages,
                use_memory=False,
                **ask,
            ),
            similarity=best,
            sources=sources,
        )
        combined = None
        if self.policy.needs_combined or self.run_combined:
            combined = ArmResult.from_answer(
                "combined",
                ask_memory(
                    self._memory,
                    question,
                    context="passages" if passages else self.memory_context,
                    passages=passages,
                    **ask,
                ),
                similarity=best,
                sources=sources,
            )
        evidence = RouterEvidence(
            question=question,
            memory=memory,
            retrieval=retrieval,
            combined=combined,
            agreement=answer_agreement(memory.answer, retrieval.answer),
        )
        return evidence, nodes

    def route(self, question: str) -> tuple[Selection, RouterEvidence, list[NodeWithScore]]:
        evidence, nodes = self.evidence(question)
        return self.policy.select(evidence), evidence, nodes

    def custom_query(self, query_str: str) -> Response:
        selection, evidence, nodes = self.route(query_str)
        arms = {"memory": evidence.memory, "retrieval": evidence.retrieval}
        if evidence.combined is not None:
            arms["combined"] = evidence.combined
        if selection.chosen not in arms:
            raise ValueError(f"policy {self.policy.name} chose an arm that did not run")
        return Response(
            response=arms[selection.chosen].answer,
            source_nodes=nodes,
            metadata={
                "chosen": selection.chosen,
                "reason": selection.reason,
                "policy": self.policy.name,
                "scores": selection.scores,
                "agreement": evidence.agreement,
                "memory": self._memory.manifest.name,
                "arms": {name: arm.model_dump() for name, arm in arms.items()},
            },
        )
