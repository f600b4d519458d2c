"""OpenAI request fields lift-memory cannot honour, refused with a 400 that says why, instead of
being ignored: a client that asks for tools, JSON output, log-probabilities or several choices
would otherwise silently get something else."""

from __future__ import annotations

from typing import Any

from lift_memory_cli.server.errors import ApiError
from lift_memory_cli.server.requests import (
    ChatCompletionRequest,
    CompletionRequest,
    GenerationRequest,
)

_NO_TOOLS = "lift-memory models answer in plain text and do not call tools"
_CHAT_ROLES = frozenset({"system", "developer", "user", "assistant"})


def _refuse(field: str, why: str) -> ApiError:
    return ApiError(
        400, f"{field} is not supported: {why}", code="unsupported_parameter", param=field
    )


def _extra(request: GenerationRequest, field: str) -> Any:
    return (request.model_extra or {}).get(field)


def _common(request: GenerationRequest) -> None:
    if request.n is not None and request.n > 1:
        raise _refuse("n", "answers are greedy, so every choice would be the same; use n=1")
    if request.stream_options is not None and not request.stream:
        raise ApiError(
            400,
            "stream_options is only allowed when stream is true",
            code="invalid_value",
            param="stream_options",
        )


def refuse_unsupported_chat(request: ChatCompletionRequest) -> None:
    """400 for the chat fields and messages lift-memory cannot honour."""
    _common(request)
    for field in ("tools", "functions"):
        if _extra(request, field):
            raise _refuse(field, _NO_TOOLS)
    for field in ("tool_choice", "function_call"):
        if _extra(request, field) not in (None, "none"):
            raise _refuse(field, _NO_TOOLS)
    response_format = _extra(request, "response_format")
    if response_format is not None:
        kind = response_format.get("type") if isinstance(response_format, dict) else None
        if kind != "text":
            raise _refuse("response_format", "answers are plain text (only type 'text')")
    if request.logprobs or request.top_logprobs is not None:
        field = "logprobs" if request.logprobs else "top_logprobs"
        raise _refuse(field, "token log-probabilities are not returned")
    if _extra(request, "audio") is not None or _extra(request, "modalities") not in (
        None,
        ["text"],
    ):
        raise _refuse("modalities", "answers are text only")
    if _extra(request, "prediction") is not None:
        raise _refuse("prediction", "predicted outputs are not used")
    for index, message in enumerate(request.messages):
        where = f"messages[{index}]"
        if message.role not in _CHAT_ROLES:
            raise _refuse(f"{where}.role '{message.role}'", _NO_TOOLS)
        if (message.model_extra or {}).get("tool_calls"):
            raise _refuse(f"{where}.tool_calls", _NO_TOOLS)
        if isinstance(message.content, list):
            kinds = {str(part.get("type")) for part in message.content} - {"text"}
            if kinds:
                raise _refuse(f"{where}.content type {sorted(kinds)[0]}", "messages are text only")


def refuse_unsupported_completion(request: CompletionRequest) -> None:
    """400 for the text-completion fields lift-memory cannot honour."""
    _common(request)
    prompt = request.prompt
    if isinstance(prompt, list) and (len(prompt) != 1 or not isinstance(prompt[0], str)):
        raise _refuse("prompt", "give one prompt as a string (not several, and not token ids)")
    if request.echo:
        raise _refuse("echo", "the reply never repeats the prompt")
    if request.suffix:
        raise _refuse("suffix", "the model only continues the prompt (no insertion)")
    if request.best_of is not None and request.best_of > 1:
        raise _refuse("best_of", "answers are greedy, so every candidate would be the same")
    if request.logprobs is not None:
        raise _refuse("logprobs", "token log-probabilities are not returned")
