"""Answering a question with the adapted model: prompt, context modes, generation, confidence.

``generate_reply`` is the one generation routine (prompt ids in; text, confidence and gate
statistics out); ``generate_answer`` builds the question prompt for it.

Context modes: none (closed book — the memory alone), a head/tail truncation of the corpus to a
window of N tokens, or given passages (e.g. retrieved chunks).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import torch

from lift_memory.adapters import Adapter
from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.models import LoadedModel
from lift_memory.prompts import head_tail_truncate, prompt_ids, question_prompt


@dataclass(frozen=True)
class Answer:
    text: str
    mean_logprob: float
    """Mean log-probability of the generated tokens: a cheap confidence score."""
    mean_gate: float | None
    """Mean gate value of the memory while answering (None without a Gated Memory)."""
    latency_s: float
    prompt_tokens: int
    generated_tokens: int


def truncated_context(loaded: LoadedModel, corpus: str, window: int) -> str:
    """The corpus cut to ``window`` tokens (head + "..." + tail)."""
    ids = loaded.tokenizer(corpus, add_special_tokens=False)["input_ids"]
    return head_tail_truncate(loaded.tokenizer, ids, window)


def passages_context(passages: list[str]) -> str:
    return "\n\n".join(f"[{i + 1}] {p.strip()}" for i, p in enumerate(passages))


def generate_answer(
    loaded: LoadedModel,
    question: str,
    *,
    adapter: Adapter | None = None,
    context: str | None = None,
    max_new_tokens: int = ANSWER_MAX_NEW_TOKENS,
    use_memory: bool = True,
    streamer: Any | None = None,
) -> Answer:
    """Greedy answer to ``question`` (optionally with a context) with or without the memory.

    ``streamer`` (a transformers ``BaseStreamer``, e.g. ``TextIteratorStreamer``) receives the
    tokens as they are generated, for a server that streams the answer.
    """
    ids = prompt_ids(loaded.tokenizer, question_prompt(question, context))
    return generate_reply(
        loaded,
        ids,
        adapter=adapter,
        use_memory=use_memory,
        max_new_tokens=max_new_tokens,
        streamer=streamer,
    )


@torch.no_grad()
def generate_reply(
    loaded: LoadedModel,
    ids: list[int],
    *,
    adapter: Adapter | None = None,
    use_memory: bool = True,
    max_new_tokens: int = ANSWER_MAX_NEW_TOKENS,
    temperature: float = 0.0,
    streamer: Any | None = None,
) -> Answer:
    """The model's reply to prompt token ``ids``, with its confidence and gate statistics.

    Greedy unless ``temperature`` > 0. With ``use_memory=False`` the adapter is switched off
    for the call. The one generation routine: ``generate_answer`` and the LlamaIndex
    ``LiftLLM`` both come here. Callers that share the model with a training thread hold
    ``model_lock(loaded)`` around it.
    """
    started = time.perf_counter()
    input_ids = torch.tensor([ids], device=loaded.device)
    model = loaded.model
    model.eval()
    if adapter is not None:
        adapter.reset_gate_stats()
    disable = (
        adapter.disabled() if (adapter is not None and not use_memory) else contextlib.nullcontext()
    )
    sampling = {"temperature": temperature} if temperature > 0 else {}
    with disable:
        output = model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens,
            do_sample=temperature > 0,
            output_scores=True,
            return_dict_in_generate=True,
            pad_token_id=loaded.tokenizer.pad_token_id,
            streamer=streamer,
            **sampling,
        )
    new_tokens = output.sequences[0, input_ids.shape[1] :]
    logprobs = [
        torch.log_softmax(score[0].float(), dim=-1)[token].item()
        for score, token in zip(output.scores, new_tokens, strict=False)
    ]
    text = loaded.tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
    return Answer(
        text=text,
        mean_logprob=sum(logprobs) / len(logprobs) if logprobs else 0.0,
        mean_gate=adapter.mean_gate() if (adapter is not None and use_memory) else None,
        latency_s=time.perf_counter() - started,
        prompt_tokens=len(ids),
        generated_tokens=len(new_tokens),
    )
