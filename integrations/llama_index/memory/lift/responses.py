"""LlamaIndex responses made from the engine's answers: whole, or streamed chunk by chunk."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    MessageRole,
)

from lift_memory.answer import Answer

if TYPE_CHECKING:
    from llama_index.memory.lift.routing import RouteDecision


def answer_stats(answer: Answer, route: RouteDecision | None = None) -> dict[str, Any]:
    """What a LlamaIndex response carries of an answer, in its ``additional_kwargs``: its
    statistics and, when the LLM routed it, the route it took and why."""
    stats: dict[str, Any] = {
        "mean_logprob": answer.mean_logprob,
        "confidence": math.exp(answer.mean_logprob),
        "mean_gate": answer.mean_gate,
        "prompt_tokens": answer.prompt_tokens,
        "generated_tokens": answer.generated_tokens,
        "latency_s": answer.latency_s,
    }
    if route is not None:
        stats["route"] = route.model_dump()
    return stats


def completion_response(answer: Answer, route: RouteDecision | None = None) -> CompletionResponse:
    """A finished answer as a completion; ``raw`` is the engine's :class:`Answer`."""
    return CompletionResponse(
        text=answer.text, additional_kwargs=answer_stats(answer, route), raw=answer
    )


def chat_response(answer: Answer, route: RouteDecision | None = None) -> ChatResponse:
    return ChatResponse(
        message=ChatMessage(role=MessageRole.ASSISTANT, content=answer.text),
        additional_kwargs=answer_stats(answer, route),
        raw=answer,
    )


class ChunkAssembler:
    """Turns streamed text pieces, then the finished answer, into completion chunks.

    Each piece is held back until the next arrives, so that the last chunk carries the last
    piece together with the answer's statistics (and no chunk has an empty ``delta``, except
    the only one of an empty answer).
    """

    def __init__(self, route: RouteDecision | None = None) -> None:
        self.text = ""  # the reply so far, up to and including the held piece
        self.held: str | None = None
        self.route = route

    def add(self, item: str | Answer) -> CompletionResponse | None:
        """The chunk ready once ``item`` has arrived, if any."""
        if isinstance(item, Answer):
            stats = answer_stats(item, self.route)
            return CompletionResponse(
                text=self.text, delta=self.held or "", additional_kwargs=stats, raw=item
            )
        ready = None if self.held is None else CompletionResponse(text=self.text, delta=self.held)
        self.text += item
        self.held = item
        return ready


def completion_chunks(
    items: Iterator[str | Answer], route: RouteDecision | None = None
) -> CompletionResponseGen:
    assembler = ChunkAssembler(route)
    for item in items:
        if (chunk := assembler.add(item)) is not None:
            yield chunk


async def acompletion_chunks(
    items: AsyncIterator[str | Answer], route: RouteDecision | None = None
) -> CompletionResponseAsyncGen:
    assembler = ChunkAssembler(route)
    async for item in items:
        if (chunk := assembler.add(item)) is not None:
            yield chunk


def chat_chunk(chunk: CompletionResponse) -> ChatResponse:
    return ChatResponse(
        message=ChatMessage(role=MessageRole.ASSISTANT, content=chunk.text),
        delta=chunk.delta,
        additional_kwargs=chunk.additional_kwargs,
        raw=chunk.raw,
    )
