"""The answers of the router's arms and what they are scored on.

Three arms, all on the memory's base model so that they differ only in where knowledge comes from:

- ``memory``: the memory attached, no context (or a truncated corpus view) — parametric recall;
- ``retrieval``: the memory switched off, retrieved passages in context — classic RAG;
- ``combined``: the memory attached *and* the retrieved passages in context.

Every arm answers through a :class:`LiftLLM` (the engine's one generation routine underneath),
so its generation emits LlamaIndex's LLM events and spans like any other LLM call.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Literal

from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.callbacks import CallbackManager
from llama_index.memory.lift.llm import LiftLLM
from llama_index.memory.lift.routing import RouteDecision, forced_route

from lift_memory.answer import Answer, passages_context, truncated_context
from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.memory import ContextMode, LiftMemory
from lift_memory.prompts import question_prompt

ArmName = Literal["memory", "retrieval", "combined"]


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


def arm_prompt(
    memory: LiftMemory,
    question: str,
    context: ContextMode = "none",
    passages: list[str] | None = None,
) -> str:
    """The user turn ``memory.ask`` builds: the question, with the truncated corpus or passages."""
    text: str | None = None
    if context == "truncated":
        window = int(memory.manifest.config.get("context_window", 256))
        text = truncated_context(memory.loaded, memory.corpus, window)
    elif context == "passages":
        text = passages_context(passages or [])
    return question_prompt(question, text)


def arm_llm(
    memory: LiftMemory,
    *,
    use_memory: bool = True,
    max_new_tokens: int = ANSWER_MAX_NEW_TOKENS,
    callback_manager: CallbackManager | None = None,
) -> LiftLLM:
    """The LLM an arm answers through, so that its generation shows in LlamaIndex tracing."""
    window = getattr(memory.loaded.model.config, "max_position_embeddings", None) or 2048
    extra = {"callback_manager": callback_manager} if callback_manager is not None else {}
    return LiftLLM(
        memory,
        use_memory=use_memory,
        mode="memory" if use_memory else "base",  # an arm is one side: it never routes
        max_new_tokens=max_new_tokens,
        # like ``memory.ask``, an arm never cuts its prompt: the whole window is the prompt's
        context_window=window + max_new_tokens,
        **extra,
    )


def ask_memory(
    memory: LiftMemory,
    question: str,
    *,
    context: ContextMode = "none",
    passages: list[str] | None = None,
    use_memory: bool = True,
    max_new_tokens: int = ANSWER_MAX_NEW_TOKENS,
    streamer: Any | None = None,
    callback_manager: CallbackManager | None = None,
    route: RouteDecision | None = None,
) -> Answer:
    """``memory.ask`` through a :class:`LiftLLM`: the same answer, with LLM events and spans.

    ``streamer`` (a transformers streamer) also receives the answer's tokens. ``route`` (from
    relevance routing) overrides ``use_memory``: memory, base model, or a scaled gate.
    """
    route = route or forced_route("memory" if use_memory else "base")
    llm = arm_llm(
        memory,
        use_memory=route.use_memory,
        max_new_tokens=max_new_tokens,
        callback_manager=callback_manager,
    )
    prompt = arm_prompt(memory, question, context, passages)
    extra = {"streamer": streamer} if streamer is not None else {}
    return llm.complete(prompt, route=route, **extra).raw


async def aask_memory(
    memory: LiftMemory,
    question: str,
    *,
    context: ContextMode = "none",
    passages: list[str] | None = None,
    use_memory: bool = True,
    max_new_tokens: int = ANSWER_MAX_NEW_TOKENS,
    callback_manager: CallbackManager | None = None,
    route: RouteDecision | None = None,
) -> Answer:
    """:func:`ask_memory` for the event loop: the model generates in a worker thread."""
    route = route or forced_route("memory" if use_memory else "base")
    llm = arm_llm(
        memory,
        use_memory=route.use_memory,
        max_new_tokens=max_new_tokens,
        callback_manager=callback_manager,
    )
    prompt = await asyncio.to_thread(arm_prompt, memory, question, context, passages)
    return (await llm.acomplete(prompt, route=route)).raw
