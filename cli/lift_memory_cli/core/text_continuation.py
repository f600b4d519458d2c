"""Plain-text continuation (the server's ``/v1/completions``): the model continues a prompt
as it stands, with no chat template and no question format, with or without the memory — or,
in ``auto`` mode, routed by the prompt's relevance to the memory's corpus like an ``auto``
answer (:func:`continue_with_memory`).

The continuation's text is kept as generated, leading space included (a chat answer is
stripped; a continuation is glued to its prompt), decoded by a transformers ``TextStreamer``
so that a streamed continuation is the same text piece by piece.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llama_index.memory.lift.routing import routed
from transformers import TextStreamer

from lift_memory.answer import generate_reply
from lift_memory.models import model_lock
from lift_memory_cli.core.answerer import relevance_router
from lift_memory_cli.core.conversation import ContextTooLong, context_window
from lift_memory_cli.core.errors import ServiceError
from lift_memory_cli.core.modes import DEFAULT_SCALING

if TYPE_CHECKING:
    from llama_index.memory.lift import ChromaRetrievalArm

    from lift_memory.adapters import Adapter
    from lift_memory.memory import LiftMemory
    from lift_memory.models import LoadedModel

CONTINUATION_MODES = ("auto", "memory", "base")


@dataclass(frozen=True)
class Continuation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    hit_token_limit: bool
    route: dict[str, Any] | None = None
    """auto mode: relevance routing's decision (route, score, threshold, reason)."""


class _TextCollector(TextStreamer):
    """Collects the decoded continuation, and passes the tokens on to another streamer."""

    def __init__(self, tokenizer: Any, forward: Any | None) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.forward = forward
        self.pieces: list[str] = []

    def put(self, value: Any) -> None:
        super().put(value)
        if self.forward is not None:
            self.forward.put(value)

    def end(self) -> None:
        super().end()
        if self.forward is not None:
            self.forward.end()

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        self.pieces.append(text)


def continue_text(
    loaded: LoadedModel,
    prompt: str,
    *,
    adapter: Adapter | None = None,
    use_memory: bool = True,
    max_new_tokens: int = 16,
    streamer: Any | None = None,
) -> Continuation:
    """The model's continuation of ``prompt`` (``streamer`` also receives its tokens)."""
    ids = list(loaded.tokenizer(prompt)["input_ids"])
    room = context_window(loaded) - max_new_tokens
    if len(ids) > room:
        raise ContextTooLong(
            f"the prompt has {len(ids)} tokens, but the model's context leaves {max(room, 0)} "
            "once max_tokens are set aside; shorten it or ask for fewer max_tokens"
        )
    collector = _TextCollector(loaded.tokenizer, streamer)
    with model_lock(loaded):
        answer = generate_reply(
            loaded,
            ids,
            adapter=adapter,
            use_memory=use_memory,
            max_new_tokens=max_new_tokens,
            streamer=collector,
        )
    return Continuation(
        text="".join(collector.pieces),
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.generated_tokens,
        hit_token_limit=answer.generated_tokens >= max_new_tokens,
    )


def continue_with_memory(
    memory: LiftMemory,
    prompt: str,
    *,
    mode: str = "auto",
    retrieval: ChromaRetrievalArm | None = None,
    scaling: str = DEFAULT_SCALING,
    max_new_tokens: int = 16,
    streamer: Any | None = None,
) -> Continuation:
    """``prompt`` continued by the memory's base model: with the memory (``memory``), without
    it (``base``), or (``auto``) as relevance routing decides for the prompt, scored over the
    memory's Chroma arm ``retrieval`` (without it, auto continues with the memory)."""
    if mode not in CONTINUATION_MODES:
        raise ServiceError(
            f"mode '{mode}' does not continue text; choose from {', '.join(CONTINUATION_MODES)}"
        )
    router = relevance_router(memory, retrieval if mode == "auto" else None, scaling)
    route = router.decide(prompt, mode=mode)  # type: ignore[arg-type]
    with model_lock(memory.loaded), routed(memory.adapter, route) as use_memory:
        result = continue_text(
            memory.loaded,
            prompt,
            adapter=memory.adapter,
            use_memory=use_memory,
            max_new_tokens=max_new_tokens,
            streamer=streamer,
        )
    return dataclasses.replace(result, route=route.model_dump() if mode == "auto" else None)
