"""Request bodies: OpenAI's chat and text completions (ranges checked as OpenAI checks them),
plus the ``lift_*`` extras, and the server's own ingest request.

A value out of range is a 400 in OpenAI's error shape (the app's validation handler); fields
OpenAI has but lift-memory cannot honour are refused by :mod:`lift_memory_cli.server.unsupported`.
Other unknown fields are accepted and ignored, as clients send many optional ones. Answers are
greedy: ``temperature``, ``top_p``, ``seed`` and the penalties are validated, not used.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory_cli.core.modes import (
    DEFAULT_MODE,
    DEFAULT_POLICY,
    DEFAULT_SCALING,
    MODES,
    POLICIES,
    SCALINGS,
)
from lift_memory_cli.server.errors import ApiError

DEFAULT_COMPLETION_MAX_TOKENS = 16  # OpenAI's default for /v1/completions
MAX_TOKENS_LIMIT = 4096
MAX_STOP_SEQUENCES = 4


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class GenerationRequest(BaseModel):
    """What chat and text completions share: the model, the reply's length and end, streaming,
    the sampling fields OpenAI validates, and the lift-memory extras (``extra_body`` in openai).
    """

    model_config = ConfigDict(extra="allow")

    model: str
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    stop: str | list[str] | None = None
    n: int | None = Field(default=None, ge=1, le=128)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    logit_bias: dict[str, int] | None = None
    seed: int | None = None
    user: str | None = None
    lift_mode: str | None = Field(
        default=None,
        description=f"One of {', '.join(MODES)} (text completions: auto, memory or base); "
        f"memories default to {DEFAULT_MODE}.",
    )
    lift_policy: str = Field(default=DEFAULT_POLICY, description=f"One of {', '.join(POLICIES)}.")
    lift_scaling: str = Field(
        default=DEFAULT_SCALING, description=f"auto mode: one of {', '.join(SCALINGS)}."
    )
    lift_top_k: int = Field(default=2, ge=1, le=50, description="Chunks for rag / hybrid.")

    @field_validator("stop")
    @classmethod
    def _at_most_four(cls, stop: str | list[str] | None) -> str | list[str] | None:
        if isinstance(stop, list) and len(stop) > MAX_STOP_SEQUENCES:
            raise ValueError(f"at most {MAX_STOP_SEQUENCES} stop sequences are allowed")
        return stop

    @field_validator("logit_bias")
    @classmethod
    def _bias_range(cls, bias: dict[str, int] | None) -> dict[str, int] | None:
        if bias and any(not -100 <= value <= 100 for value in bias.values()):
            raise ValueError("logit_bias values must be between -100 and 100")
        return bias

    def stop_sequences(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    def include_usage(self) -> bool:
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)


def check_lift_scaling(request: GenerationRequest) -> None:
    """400 for an unknown ``lift_scaling`` (chat and text completions both take it)."""
    if request.lift_scaling not in SCALINGS:
        raise ApiError(
            400,
            f"unknown lift_scaling '{request.lift_scaling}'; choose from {', '.join(SCALINGS)}",
            param="lift_scaling",
        )


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


class ChatCompletionRequest(GenerationRequest):
    """``POST /v1/chat/completions``."""

    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)

    def max_new_tokens(self) -> int:
        return self.max_completion_tokens or self.max_tokens or ANSWER_MAX_NEW_TOKENS


class CompletionRequest(GenerationRequest):
    """``POST /v1/completions``: the model continues ``prompt`` as plain text."""

    prompt: str | list[str] | list[int] | list[list[int]]
    echo: bool = False
    suffix: str | None = None
    best_of: int | None = Field(default=None, ge=1, le=20)
    logprobs: int | None = Field(default=None, ge=0, le=5)

    def max_new_tokens(self) -> int:
        return self.max_tokens or DEFAULT_COMPLETION_MAX_TOKENS


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
