"""``LiftLLM``: the base model with a LIFT memory attached, as a LlamaIndex LLM."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from llama_index.memory.lift.responses import (
    acompletion_chunks,
    chat_chunk,
    chat_response,
    completion_chunks,
    completion_response,
)
from llama_index.memory.lift.routing import (
    AnswerMode,
    RelevanceRouter,
    RouteDecision,
    Scaling,
    forced_route,
    routed,
)
from llama_index.memory.lift.streaming import astream_reply, stream_reply

from lift_memory.answer import Answer, generate_reply
from lift_memory.memory import LiftMemory
from lift_memory.models import LoadedModel, model_lock
from lift_memory.prompts import chat_template_ids
from lift_memory.store import MemoryStore

log = logging.getLogger(__name__)

_TEMPLATE_ROLES = {MessageRole.SYSTEM.value, MessageRole.USER.value, MessageRole.ASSISTANT.value}


class LiftLLM(CustomLLM):
    """The memory's base model, with the memory attached, behind LlamaIndex's LLM interface.

    ``chat`` formats messages with the model's own chat template; ``complete`` wraps a plain
    prompt as one user turn (``formatted=True`` sends it to the model as is). Responses carry
    the answer's mean token log-probability and mean gate value in ``additional_kwargs`` (a
    stream in its last chunk) and the engine's ``Answer`` in ``raw``.

    ``mode="auto"`` (the default) routes each call by the relevance of its text (the prompt, or
    the last user message) to the memory's corpus, against the threshold calibrated at ingest:
    the memory answers questions about its corpus, the base model — memory off, its answer
    exactly — the rest (:mod:`llama_index.memory.lift.routing`). ``additional_kwargs["route"]``
    says which route the call took and why. ``mode="memory"`` / ``"base"`` force one side;
    ``use_memory=False`` is mode base.
    Prompts longer than the window keep their most recent tokens.

    Every call emits LlamaIndex's LLM start/end events and spans. The async methods generate in
    a worker thread, so the event loop keeps running; the model lock (shared with background
    consolidation) is taken inside that thread.

    ``to_dict()`` names the memory and its store; ``LiftLLM.from_dict(data)`` (or
    ``LiftLLM.from_store(name, home)``) loads it back.
    """

    max_new_tokens: int = Field(default=256, gt=0, description="Tokens generated per call.")
    context_window: int = Field(default=2048, gt=16, description="Prompt + output budget.")
    temperature: float = Field(default=0.0, ge=0.0, description="0 means greedy decoding.")
    use_memory: bool = Field(default=True, description="False answers with the base model.")
    mode: AnswerMode = Field(
        default="auto",
        description="auto: the memory for questions about its corpus, the base model for the "
        "rest (calibrated at ingest); memory / base: always that side.",
    )
    scaling: Scaling = Field(
        default="hard",
        description="auto mode: hard switch, or soft (the memory's effect scaled by the "
        "relevance: a LoRA's update, a Gated Memory's gate).",
    )
    system_prompt: str | None = Field(default=None)
    memory_name: str = Field(description="The memory's name in its store (set from the memory).")
    home: str | None = Field(
        default=None,
        description="Home of the memory's store, for from_dict; None: the default home.",
    )

    _memory: LiftMemory = PrivateAttr()
    _router: RelevanceRouter | None = PrivateAttr(default=None)

    def __init__(
        self, memory: LiftMemory, router: RelevanceRouter | None = None, **kwargs: Any
    ) -> None:
        """``router`` decides ``auto`` mode's routes (default: the memory's own calibration
        over its Chroma arm, opened on first use)."""
        kwargs["memory_name"] = memory.manifest.name
        super().__init__(**kwargs)
        self._memory = memory
        self._router = router

    @classmethod
    def class_name(cls) -> str:
        return "LiftLLM"

    # --- loading and serialisation
    @classmethod
    def from_store(
        cls,
        memory_name: str,
        home: str | Path | None = None,
        *,
        model: LoadedModel | None = None,
        **kwargs: Any,
    ) -> LiftLLM:
        """Load memory ``memory_name`` from the store at ``home`` (default: the default home).

        ``model`` reuses an already loaded base model; other keywords are ``LiftLLM`` fields.
        """
        store = MemoryStore(home)
        memory = LiftMemory.load(memory_name, store=store, model=model)
        return cls(memory, home=str(store.home), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> LiftLLM:  # type: ignore[override]
        """The LLM of ``to_dict()``'s memory, loaded from its store (``model=`` reuses one)."""
        settings = {**data, **kwargs}
        settings.pop("class_name", None)
        name, home = settings.pop("memory_name"), settings.pop("home", None)
        return cls.from_store(name, home, **settings)

    @property
    def memory(self) -> LiftMemory:
        return self._memory

    @property
    def metadata(self) -> LLMMetadata:
        manifest = self._memory.manifest
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_new_tokens,
            is_chat_model=True,
            model_name=f"lift:{manifest.name}@{manifest.base_model}",
        )

    # --- routing
    @property
    def router(self) -> RelevanceRouter:
        if self._router is None:
            store = MemoryStore(self.home) if self.home else None
            self._router = RelevanceRouter.for_memory(
                self._memory, store=store, scaling=self.scaling
            )
        return self._router

    def decide(self, text: str) -> RouteDecision:
        """The route a call about ``text`` takes: memory or base model (mode auto), or forced."""
        if not self.use_memory or self.mode == "base":
            return forced_route("base")
        if self.mode == "memory":
            return forced_route("memory")
        return self.router.decide(text)

    def _route_of(self, text: str, kwargs: dict[str, Any]) -> RouteDecision:
        route = kwargs.get("route")  # a caller that decided already (the router's arms)
        return route if isinstance(route, RouteDecision) else self.decide(text)

    # --- prompts
    def chat_ids(self, messages: Sequence[ChatMessage]) -> list[int]:
        """Token ids of ``messages`` in the model's chat template, ready for the reply."""
        turns = []
        if self.system_prompt and not any(m.role == MessageRole.SYSTEM for m in messages):
            turns.append({"role": "system", "content": self.system_prompt})
        for message in messages:
            role = message.role.value
            if role not in _TEMPLATE_ROLES:  # tool / function results read as user turns
                role = "user"
            turns.append({"role": role, "content": message.content or ""})
        return chat_template_ids(self._memory.loaded.tokenizer, turns)

    def prompt_ids(self, prompt: str, formatted: bool = False) -> list[int]:
        """Token ids of a completion prompt: one user turn, or as is when ``formatted``."""
        if formatted:
            return list(
                self._memory.loaded.tokenizer(prompt, add_special_tokens=False)["input_ids"]
            )
        return self.chat_ids([ChatMessage(role=MessageRole.USER, content=prompt)])

    def _fit(self, ids: list[int]) -> list[int]:
        budget = max(1, self.context_window - self.max_new_tokens)
        if len(ids) > budget:
            log.warning("prompt of %d tokens cut to its last %d", len(ids), budget)
            ids = ids[-budget:]
        return ids

    # --- generation (no LlamaIndex events: the methods below emit them)
    def generate(
        self, ids: list[int], streamer: Any | None = None, route: RouteDecision | None = None
    ) -> Answer:
        """Generate a reply to prompt token ids, with confidence and gate statistics.

        The engine's one generation routine, run while holding the model (a background
        consolidation may be training it). ``streamer``: a transformers streamer that also
        receives the tokens. ``route``: memory, base model or a scaled gate; token ids carry no
        question to route on, so without one the memory answers (the base model if
        ``use_memory=False`` or mode base).
        """
        if route is None:
            base = not self.use_memory or self.mode == "base"
            route = forced_route("base" if base else "memory")
        memory = self._memory
        with model_lock(memory.loaded), routed(memory.adapter, route) as use_memory:
            return generate_reply(
                memory.loaded,
                self._fit(ids),
                adapter=memory.adapter,
                use_memory=use_memory,
                max_new_tokens=self.max_new_tokens,
                temperature=self.temperature,
                streamer=streamer,
            )

    async def agenerate(self, ids: list[int], route: RouteDecision | None = None) -> Answer:
        """:meth:`generate` in a worker thread: the event loop runs on meanwhile."""
        return await asyncio.to_thread(self.generate, ids, None, route)

    def stream_generate(
        self, ids: list[int], route: RouteDecision | None = None
    ) -> Iterator[str | Answer]:
        """Text pieces of the reply as they are generated, then the finished ``Answer``."""
        generate = partial(self.generate, ids, route=route)
        return stream_reply(generate, self._memory.loaded.tokenizer)

    def astream_generate(
        self, ids: list[int], route: RouteDecision | None = None
    ) -> AsyncIterator[str | Answer]:
        """:meth:`stream_generate` for the event loop."""
        generate = partial(self.generate, ids, route=route)
        return astream_reply(generate, self._memory.loaded.tokenizer)

    # --- LlamaIndex interface
    # --- LlamaIndex interface. Every method routes on its text (``route=`` a decided route).
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """``streamer=`` (a transformers streamer) also receives the generated tokens."""
        route = self._route_of(prompt, kwargs)
        answer = self.generate(self.prompt_ids(prompt, formatted), kwargs.get("streamer"), route)
        return completion_response(answer, route)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        route = self._route_of(prompt, kwargs)
        pieces = self.stream_generate(self.prompt_ids(prompt, formatted), route)
        return completion_chunks(pieces, route)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """``streamer=`` (a transformers streamer) also receives the generated tokens."""
        route = self._route_of(last_user_text(messages), kwargs)
        answer = self.generate(self.chat_ids(messages), kwargs.get("streamer"), route)
        return chat_response(answer, route)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        route = self._route_of(last_user_text(messages), kwargs)
        chunks = completion_chunks(self.stream_generate(self.chat_ids(messages), route), route)
        return (chat_chunk(chunk) for chunk in chunks)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        route = await asyncio.to_thread(self._route_of, prompt, kwargs)
        ids = await asyncio.to_thread(self.prompt_ids, prompt, formatted)
        return completion_response(await self.agenerate(ids, route), route)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        route = await asyncio.to_thread(self._route_of, prompt, kwargs)
        ids = await asyncio.to_thread(self.prompt_ids, prompt, formatted)
        return acompletion_chunks(self.astream_generate(ids, route), route)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        route = await asyncio.to_thread(self._route_of, last_user_text(messages), kwargs)
        ids = await asyncio.to_thread(self.chat_ids, messages)
        return chat_response(await self.agenerate(ids, route), route)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        route = await asyncio.to_thread(self._route_of, last_user_text(messages), kwargs)
        ids = await asyncio.to_thread(self.chat_ids, messages)

        async def chunks() -> ChatResponseAsyncGen:
            async for chunk in acompletion_chunks(self.astream_generate(ids, route), route):
                yield chat_chunk(chunk)

        return chunks()


def last_user_text(messages: Sequence[ChatMessage]) -> str:
    """What a chat is about now: its last user message (all messages if it has none)."""
    for message in reversed(messages):
        if message.role == MessageRole.USER and (message.content or "").strip():
            return message.content or ""
    return "\n".join(m.content or "" for m in messages)
