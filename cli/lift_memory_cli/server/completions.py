"""`POST /v1/completions`: the legacy text completion, for clients that continue a prompt.

The model continues ``prompt`` as plain text (no chat template): for ``lift:NAME``, routed by
the prompt's relevance to the memory's corpus (``lift_mode`` auto, the default, as in chat
completions; ``lift_scaling`` hard or soft), with the memory's adapter on (``lift_mode`` memory)
or off (``lift_mode`` base); a base model as itself. ``stop``, ``finish_reason``, ``usage`` and
streaming (with ``stream_options.include_usage``) behave as in chat completions; the text keeps
its leading space, as it continues the prompt. The ``lift`` field names the memory and the mode,
and for auto the ``route`` taken and why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from lift_memory_cli.core.json_values import jsonable
from lift_memory_cli.core.modes import DEFAULT_MODE
from lift_memory_cli.core.reply_end import ReplyEnd, end_reply
from lift_memory_cli.core.routing import needs_retrieval
from lift_memory_cli.core.stop_sequences import StopScanner
from lift_memory_cli.core.text_continuation import (
    CONTINUATION_MODES,
    Continuation,
    continue_text,
    continue_with_memory,
)
from lift_memory_cli.server.errors import ApiError, from_exception
from lift_memory_cli.server.model_cache import Served, ServedModelCache, memory_name_of
from lift_memory_cli.server.requests import CompletionRequest, check_lift_scaling
from lift_memory_cli.server.responses import completion_id, text_completion, usage
from lift_memory_cli.server.streaming import StreamedGeneration, sse
from lift_memory_cli.server.unsupported import refuse_unsupported_completion

log = logging.getLogger("lift_memory.server")


def check_request(request: CompletionRequest, served_is_memory: bool) -> tuple[str, str]:
    """(prompt, mode) of a valid request; 400 otherwise."""
    refuse_unsupported_completion(request)
    prompt = request.prompt if isinstance(request.prompt, str) else request.prompt[0]
    assert isinstance(prompt, str)  # token-id prompts were refused
    mode = (request.lift_mode or (DEFAULT_MODE if served_is_memory else "base")).strip().lower()
    if mode not in CONTINUATION_MODES:
        raise ApiError(
            400,
            f"lift_mode '{mode}' does not continue text; /v1/completions takes "
            f"{', '.join(CONTINUATION_MODES)} (the other modes answer questions: use "
            "/v1/chat/completions)",
            param="lift_mode",
        )
    if mode != "base" and not served_is_memory:
        raise ApiError(
            400,
            f"model '{request.model}' is a base model; ask a memory (lift:NAME) for mode {mode}",
            param="lift_mode",
        )
    check_lift_scaling(request)
    return prompt, mode


def _continue(
    pool: ServedModelCache,
    served: Served,
    request: CompletionRequest,
    prompt: str,
    mode: str,
    streamer: Any,
) -> Continuation:
    with served.lock:
        served.activate()
        memory = served.memory
        if memory is None:  # a base model as itself
            return continue_text(
                served.loaded, prompt, max_new_tokens=request.max_new_tokens(), streamer=streamer
            )
        wanted = needs_retrieval(memory.manifest, [mode])
        return continue_with_memory(
            memory,
            prompt,
            mode=mode,
            retrieval=served.retrieval(pool.store) if wanted else None,
            scaling=request.lift_scaling,
            max_new_tokens=request.max_new_tokens(),
            streamer=streamer,
        )


def _ending(served: Served, request: CompletionRequest, result: Continuation) -> ReplyEnd:
    return end_reply(
        result.text,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        hit_token_limit=result.hit_token_limit,
        stops=request.stop_sequences(),
        tokenizer=served.loaded.tokenizer,
    )


def _lift(request: CompletionRequest, mode: str, result: Continuation) -> dict[str, Any]:
    lift: dict[str, Any] = {"memory": memory_name_of(request.model), "mode": mode}
    if result.route is not None:
        lift["route"] = result.route
    return jsonable(lift)


def complete(
    pool: ServedModelCache, served: Served, request: CompletionRequest, prompt: str, mode: str
) -> dict[str, Any]:
    result = _continue(pool, served, request, prompt, mode, None)
    end = _ending(served, request, result)
    tokens = usage(end.prompt_tokens, end.completion_tokens)
    return text_completion(
        completion_id("cmpl"),
        request.model,
        end.text,
        end.finish_reason,
        tokens,
        lift=_lift(request, mode, result),
    )


def stream(
    pool: ServedModelCache, served: Served, request: CompletionRequest, prompt: str, mode: str
) -> Iterator[str]:
    """Server-sent ``text_completion`` chunks, ending with ``data: [DONE]``."""
    id, model = completion_id("cmpl"), request.model
    generation = StreamedGeneration(
        lambda streamer: _continue(pool, served, request, prompt, mode, streamer),
        served.loaded.tokenizer,
        name=f"complete {model}",
    )
    scanner, sent = StopScanner(request.stop_sequences()), ""
    for piece in generation:
        if text := scanner.feed(piece):
            sent += text
            yield sse(text_completion(id, model, text, None, None))
    try:
        result = generation.result()
    except BaseException as failure:
        error = from_exception(failure)
        if error is None:
            log.exception("completion failed", exc_info=failure)
            error = ApiError(500, "the server failed to complete", type="server_error")
        yield sse(error.body())
        return
    end = _ending(served, request, result)
    rest = end.text[len(sent) :] if end.text.startswith(sent) else ""
    yield sse(
        text_completion(id, model, rest, end.finish_reason, None, lift=_lift(request, mode, result))
    )
    if request.include_usage():
        tokens = usage(end.prompt_tokens, end.completion_tokens)
        body = text_completion(id, model, "", "stop", tokens)
        body["choices"] = []  # OpenAI's usage chunk has no choices
        yield sse(body)
    yield sse("[DONE]")
