"""The answers of the router's arms and what they are scored on.

Three arms, all on the memory's base model so that they differ only in where knowledge comes from:

- ``memory``: the memory attached, no context (or a truncated corpus view) — parametric recall;
- ``retrieval``: the memory switched off, retrieved Chroma passages in context — classic RAG;
- ``combined``: the memory attached *and* the retrieved passages in context.
"""

from __future__ import annotations

import math
import re
import string
from typing import Any, Literal

from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.schema import NodeWithScore

from lift_memory.answer import Answer
from lift_memory.consolidate import model_lock
from lift_memory.memory import LiftMemory

ArmName = Literal["memory", "retrieval", "combined"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


class ArmResult(BaseModel):
    """One arm's answer with its scores and, for retrieval, its sources."""

    arm: ArmName
    answer: str
    mean_logprob: float = Field(description="Mean log-probability of the answer's tokens.")
    confidence: float = Field(description="exp(mean_logprob): geometric-mean token probability.")
    mean_gate: float | None = Field(default=None, description="Mean memory gate while answering.")
    similarity: float | None = Field(
        default=None, description="Cosine similarity of the best retrieved passage."
    )
    latency_s: float = 0.0
    sources: list[dict[str, Any]] = Field(default_factory=list)

    @classmethod
    def from_answer(
        cls,
        arm: ArmName,
        answer: Answer,
        *,
        similarity: float | None = None,
        sources: list[dict[str, Any]] | None = None,
    ) -> ArmResult:
        return cls(
            arm=arm,
            answer=answer.text,
            mean_logprob=answer.mean_logprob,
            confidence=math.exp(answer.mean_logprob),
            mean_gate=answer.mean_gate,
            similarity=similarity,
            latency_s=answer.latency_s,
            sources=sources or [],
        )


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD-style)."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION))
    return " ".join(text.split())


def answer_agreement(first: str, second: str) -> float:
    """How much two answers agree, 0..1: token F1, or 1 when one contains the other."""
    a, b = normalize_answer(first), normalize_answer(second)
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    tokens_a, tokens_b = a.split(), b.split()
    common = sum(min(tokens_a.count(t), tokens_b.count(t)) for t in set(tokens_a))
    if common == 0:
        return 0.0
    precision, recall = common / len(tokens_a), common / len(tokens_b)
    return 2 * precision * recall / (precision + recall)


def ask_memory(
    memory: LiftMemory,
    question: str,
    *,
    context: Literal["none", "truncated", "passages"] = "none",
    passages: list[str] | None = None,
    use_memory: bool = True,
    max_new_tokens: int = 48,
    streamer: Any | None = None,
) -> Answer:
    """``memory.ask`` while holding the model (a background consolidation may be training)."""
    with model_lock(memory.loaded):
        return memory.ask(
            question,
            context=context,
            passages=passages,
            use_memory=use_memory,
            max_new_tokens=max_new_tokens,
            streamer=streamer,
        )


def source_record(node: NodeWithScore, similarity: float, text: str) -> dict[str, Any]:
    return {
        "node_id": node.node.node_id,
        "source": node.node.metadata.get("source"),
        "score": node.score,
        "similarity": similarity,
        "text": text,
    }
