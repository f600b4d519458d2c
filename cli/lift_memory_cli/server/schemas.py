"""Request bodies, and the OpenAI response objects the server writes.

Only what a chat client sends is modelled; unknown fields (``temperature``, ``stream_options``,
``user``…) are accepted and ignored: answers are greedy, as in ``lift-memory ask``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lift_memory_cli.answering import MODES, POLICIES

DEFAULT_MAX_TOKENS = 48  # `lift-memory ask --max-new-tokens`'s default
MAX_TOKENS_LIMIT = 4096


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text: a string, or the text parts of a content list."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``, plus the ``lift_*`` extras (``extra_body`` in openai)."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    n: int = Field(default=1, ge=1, le=1)
    lift_mode: str | None = Field(
        default=None, description=f"One of {', '.join(MODES)}; memories default to memory."
    )
    lift_policy: str = Field(default="confidence", description=f"One of {', '.join(POLICIES)}.")
    lift_top_k: int = Field(default=2, ge=1, le=50, description="Chunks for rag / hybrid.")

    def max_new_tokens(self) -> int:
        return self.max_completion_tokens or self.max_tokens or DEFAULT_MAX_TOKENS

    def question(self) -> str | None:
        """The last user message: memories answer one question (earlier turns are ignored)."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text()
        return None


class IngestDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    source: str = Field(default="request", min_length=1, description="Shown in the manifest.")


class IngestRequest(BaseModel):
    """``POST /v1/memories``: start an ingest job (the body of `lift-memory ingest`)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    documents: list[IngestDocument] = Field(min_length=1)
    model: str | None = Field(default=None, description="Base model; the server's by default.")
    config: dict[str, Any] = Field(default_factory=dict, description="LiftConfig fields.")
    rag: bool = Field(default=True, description="Also build the Chroma retrieval arm.")
    chroma_url: str | None = None
    resume: bool = False
    overwrite: bool = False


def completion_id() -> str:
    return f"chatcmpl-{secrets.token_hex(12)}"


def model_object(model_id: str, created: int, **extra: Any) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": "lift-memory"} | (
        extra
    )


def completion(
    id: str, model: str, answer: str, lift: dict[str, Any], finish_reason: str = "stop"
) -> dict[str, Any]:
    """A ``chat.completion``; ``lift`` carries the mode's details (the hybrid's arms…)."""
    return {
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
        "usage": None,
        "lift": lift,
    }


def chunk(
    id: str,
    model: str,
    delta: dict[str, Any],
    finish_reason: str | None = None,
    lift: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` of a stream; the last one also carries ``lift``."""
    data: dict[str, Any] = {
        "id": id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if lift is not None:
        data["lift"] = lift
    return data
