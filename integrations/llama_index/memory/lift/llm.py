"""``LiftLLM``: the base model with a LIFT memory attached, as a LlamaIndex LLM."""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM

from lift_memory.consolidate import model_lock
from lift_memory.memory import LiftMemory

log = logging.getLogger(__name__)

_TEMPLATE_ROLES = {MessageRole.SYSTEM.value, MessageRole.USER.value, MessageRole.ASSISTANT.value}


@dataclass(frozen=True)
class Generation:
    text: str
    mean_logprob: float
    mean_gate: float | None
    prompt_tokens: int
    generated_tokens: int
    latency_s: float

    def stats(self) -> dict[str, Any]:
        return {
            "mean_logprob": self.mean_logprob,
            "confidence": math.exp(self.mean_logprob),
            "mean_gate": self.mean_gate,
            "prompt_tokens": self.prompt_tokens,
            "generated_tokens": self.generated_tokens,
            "latency_s": self.latency_s,
        }


class LiftLLM(CustomLLM):
    """The memory's base model, with the memory attached, behind LlamaIndex's LLM interface.

    ``chat`` formats messages with the model's own chat template; ``complete`` wraps a plain
    prompt as one user turn (``formatted=True`` sends it to the model as is). Non-streaming
    responses carry the answer's mean token log-probability and mean gate value in
    ``additional_kwargs``. Prompts longer than the window keep their most recent tokens.
    """

    max_new_tokens: int = Field(default=256, gt=0, description="Tokens generated per call.")
    context_window: int = Field(default=2048, gt=16, description="Prompt + output budget.")
    temperature: float = Field(default=0.0, ge=0.0, description="0 means greedy decoding.")
    use_memory: bool = Field(default=True, description="False answers with the base model.")
    system_prompt: str | None = Field(default=None)

    _memory: LiftMemory = PrivateAttr()

    def __init__(self, memory: LiftMemory, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._memory = memory

    @classmethod
    def class_name(cls) -> str:
        return "LiftLLM"

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
        encoded = self._memory.loaded.tokenizer.apply_chat_template(
            turns, add_generation_prompt=True, tokenize=True
        )
        if isinstance(encoded, dict) or hasattr(encoded, "input_ids"):
            encoded = encoded["input_ids"]
        return list(encoded)

    def _prompt_ids(self, prompt: str, formatted: bool) -> list[int]:
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

    # --- generation
    def _generate_kwargs(self, ids: list[int]) -> dict[str, Any]:
        loaded = self._memory.loaded
        input_ids = torch.tensor([self._fit(ids)], device=loaded.device)
        kwargs: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": torch.ones_like(input_ids),
            "max_new_tokens": self.max_new_tokens,
            "pad_token_id": loaded.tokenizer.pad_token_id,
            "do_sample": self.temperature > 0,
        }
        if self.temperature > 0:
            kwargs["temperature"] = self.temperature
        return kwargs

    @contextlib.contextmanager
    def _session(self) -> Iterator[None]:
        """Hold the model, reset gate statistics, switch the memory off if asked."""
        adapter = self._memory.adapter
        with model_lock(self._memory.loaded), torch.no_grad():
            self._memory.loaded.model.eval()
            adapter.reset_gate_stats()
            with contextlib.nullcontext() if self.use_memory else adapter.disabled():
                yield

    def generate(self, ids: list[int]) -> Generation:
        """Generate a reply to prompt token ids, with confidence and gate statistics."""
        started = time.perf_counter()
        loaded = self._memory.loaded
        kwargs = self._generate_kwargs(ids)
        with self._session():
            output = loaded.model.generate(
                **kwargs, output_scores=True, return_dict_in_generate=True
            )
            mean_gate = self._memory.adapter.mean_gate() if self.use_memory else None
        prompt_length = kwargs["input_ids"].shape[1]
        new_tokens = output.sequences[0, prompt_length:]
        logprobs = [
            torch.log_softmax(score[0].float(), dim=-1)[token].item()
            for score, token in zip(output.scores, new_tokens, strict=False)
        ]
        return Generation(
            text=loaded.tokenizer.decode(new_tokens, skip_special_tokens=True).strip(),
            mean_logprob=sum(logprobs) / len(logprobs) if logprobs else 0.0,
            mean_gate=mean_gate,
            prompt_tokens=prompt_length,
            generated_tokens=len(new_tokens),
            latency_s=time.perf_counter() - started,
        )

    def stream(self, ids: list[int]) -> Iterator[str]:
        """Yield text pieces of the reply as they are generated."""
        from transformers import TextIteratorStreamer

        loaded = self._memory.loaded
        streamer = TextIteratorStreamer(
            loaded.tokenizer, skip_prompt=True, skip_special_tokens=True
        )
        kwargs = self._generate_kwargs(ids)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with self._session():
                    loaded.model.generate(**kwargs, streamer=streamer)
            except BaseException as error:  # surfaced in the caller's thread below
                failure.append(error)
                streamer.end()

        thread = threading.Thread(target=run, name="lift-llm-stream", daemon=True)
        thread.start()
        yield from streamer
        thread.join()
        if failure:
            raise failure[0]

    # --- LlamaIndex interface
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        generation = self.generate(self._prompt_ids(prompt, formatted))
        return CompletionResponse(text=generation.text, additional_kwargs=generation.stats())

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        ids = self._prompt_ids(prompt, formatted)

        def gen() -> CompletionResponseGen:
            text = ""
            for piece in self.stream(ids):
                if piece:
                    text += piece
                    yield CompletionResponse(text=text, delta=piece)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        generation = self.generate(self.chat_ids(messages))
        return ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT, content=generation.text),
            additional_kwargs=generation.stats(),
        )

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        ids = self.chat_ids(messages)

        def gen() -> ChatResponseGen:
            text = ""
            for piece in self.stream(ids):
                if piece:
                    text += piece
                    yield ChatResponse(
                        message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=piece
                    )

        return gen()
