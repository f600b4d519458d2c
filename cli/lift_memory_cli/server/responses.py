"""The response objects the server writes, built as the ``openai`` package's own typed models
(``ChatCompletion``, ``ChatCompletionChunk``, ``Completion``, ``CompletionUsage``), so that every
body is one the official client parses. The extra ``lift`` field carries the answer mode's
details (confidence, gate, sources, the hybrid's arms); OpenAI's models allow extra fields.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Literal

from openai.types import Completion, CompletionUsage
from openai.types.chat import ChatCompletion, ChatCompletionChunk

FinishReason = Literal["stop", "length"]


def completion_id(kind: str = "chatcmpl") -> str:
    return f"{kind}-{secrets.token_hex(12)}"


def usage(prompt_tokens: int, completion_tokens: int) -> CompletionUsage:
    return CompletionUsage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


def dump(model: Any) -> dict[str, Any]:
    """The JSON body of a typed response (fields left unset are left out)."""
    return model.model_dump(mode="json", exclude_unset=True)


def model_object(model_id: str, created: int, **extra: Any) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": "lift-memory"} | (
        extra
    )


def chat_completion(
    id: str,
    model: str,
    answer: str,
    finish_reason: FinishReason,
    tokens: CompletionUsage,
    lift: dict[str, Any],
) -> ChatCompletion:
    """A ``chat.completion`` with one choice."""
    return ChatCompletion.model_validate(
        {
            "id": id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": tokens.model_dump(),
            "lift": lift,
        }
    )


def chat_chunk(
    id: str,
    model: str,
    delta: dict[str, Any],
    *,
    finish_reason: FinishReason | None = None,
    lift: dict[str, Any] | None = None,
    with_usage_field: bool = False,
) -> ChatCompletionChunk:
    """One ``chat.completion.chunk``; the one with the finish reason also carries ``lift``.

    ``with_usage_field``: the client asked for ``include_usage``, so every chunk has
    ``usage: null`` until the last one (:func:`usage_chunk`).
    """
    data: dict[str, Any] = {
        "id": id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if with_usage_field:
        data["usage"] = None
    if lift is not None:
        data["lift"] = lift
    return ChatCompletionChunk.model_validate(data)


def usage_chunk(id: str, model: str, tokens: CompletionUsage) -> ChatCompletionChunk:
    """The stream's last chunk with ``stream_options.include_usage``: no choices, the usage."""
    return ChatCompletionChunk.model_validate(
        {
            "id": id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [],
            "usage": tokens.model_dump(),
        }
    )


def text_completion(
    id: str,
    model: str,
    text: str,
    finish_reason: FinishReason | None,
    tokens: CompletionUsage | None,
    *,
    lift: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of a ``text_completion``, or of one chunk of a streamed one.

    OpenAI's ``Completion`` type requires a finish reason, which the chunks before the last one
    do not have yet (OpenAI sends null there too): only finished ones are validated.
    """
    data: dict[str, Any] = {
        "id": id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}],
    }
    if tokens is not None:
        data["usage"] = tokens.model_dump()
    if lift is not None:
        data["lift"] = lift
    return dump(Completion.model_validate(data)) if finish_reason is not None else data
