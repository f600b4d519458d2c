"""`POST /v1/chat/completions`: a conversation answered by a base model or a memory.

The question is the last message, which must be the user's; the system message and the earlier
turns go before it in the model's chat template, the oldest turns dropped if the context window
would not leave room for ``max_tokens`` (:mod:`lift_memory_cli.core.conversation`). Memories
answer in any mode of ``lift-memory ask`` (``lift_mode``: auto by default — the memory for
questions about its corpus, the base model for the rest — memory, rag, hybrid, icl, base;
``lift_scaling`` hard or soft) through the same :class:`~lift_memory_cli.core.answerer.Answerer`; the hybrid router
compares single-question arms, so it answers the last question alone. The response's extra
``lift`` field holds what ``ask --json`` prints.

``finish_reason`` is ``length`` when ``max_tokens`` cut the answer, else ``stop``; ``stop``
sequences cut the answer (:mod:`lift_memory_cli.core.reply_end`); ``usage`` counts the prompt
and the returned answer. Streaming sends the tokens as they are generated, except in hybrid
mode, whose router picks its answer only after both arms have run: that answer is sent in one
piece. The streamed text is the non-streamed answer exactly (leading and trailing whitespace
and a possible stop sequence's beginning are held back); the chunk with the finish reason
carries ``lift``, and with ``stream_options.include_usage`` a last chunk carries ``usage``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lift_memory_cli.core.answerer import Answerer, ModeResult, answer_with_base_model
from lift_memory_cli.core.conversation import Turn
from lift_memory_cli.core.json_values import jsonable
from lift_memory_cli.core.modes import DEFAULT_MODE, MODES, POLICIES
from lift_memory_cli.core.reply_end import ReplyEnd, end_reply
from lift_memory_cli.core.routing import needs_retrieval
from lift_memory_cli.core.stop_sequences import StopScanner
from lift_memory_cli.server.errors import ApiError, from_exception
from lift_memory_cli.server.model_cache import Served, ServedModelCache, memory_name_of
from lift_memory_cli.server.requests import ChatCompletionRequest, check_lift_scaling
from lift_memory_cli.server.responses import (
    chat_chunk,
    chat_completion,
    completion_id,
    dump,
    usage,
    usage_chunk,
)
from lift_memory_cli.server.streaming import StreamedGeneration, sse
from lift_memory_cli.server.unsupported import refuse_unsupported_chat

log = logging.getLogger("lift_memory.server")


@dataclass(frozen=True)
class ChatPlan:
    """What a valid request asks: the question, the turns before it, the answer mode."""

    question: str
    conversation: list[Turn]
    mode: str


def _conversation(request: ChatCompletionRequest) -> list[Turn]:
    turns = []
    for message in request.messages[:-1]:
        role = "system" if message.role == "developer" else message.role
        turns.append(Turn(role, message.text()))  # type: ignore[arg-type]
    return turns


def check_request(request: ChatCompletionRequest, served_is_memory: bool) -> ChatPlan:
    """The plan of a valid request; 400 otherwise."""
    refuse_unsupported_chat(request)
    last = request.messages[-1]
    question = last.text().strip() if last.role == "user" else ""
    if not question:
        raise ApiError(
            400,
            "the last message must be the user's, with text: it is the question",
            param="messages",
        )
    mode = (request.lift_mode or (DEFAULT_MODE if served_is_memory else "base")).strip().lower()
    if mode not in MODES:
        raise ApiError(
            400, f"unknown lift_mode '{mode}'; choose from {', '.join(MODES)}", param="lift_mode"
        )
    if not served_is_memory and mode != "base":
        raise ApiError(
            400,
            f"model '{request.model}' is a base model, which answers in mode base only; "
            "ask a memory (lift:NAME) for the other modes",
            param="lift_mode",
        )
    if request.lift_policy not in POLICIES:
        raise ApiError(
            400,
            f"unknown lift_policy '{request.lift_policy}'; choose from {', '.join(POLICIES)}",
            param="lift_policy",
        )
    check_lift_scaling(request)
    return ChatPlan(question, _conversation(request), mode)


def answer(
    pool: ServedModelCache,
    served: Served,
    request: ChatCompletionRequest,
    plan: ChatPlan,
    streamer: Any | None = None,
) -> ModeResult:
    """The mode's answer, with the base model's lock held for the whole request."""
    with served.lock:
        served.activate()  # this memory's adapter on the shared base model (or none)
        if served.memory is None:
            return answer_with_base_model(
                served.loaded,
                plan.question,
                max_new_tokens=request.max_new_tokens(),
                streamer=streamer,
                conversation=plan.conversation,
            )
        manifest = served.memory.manifest
        wanted = needs_retrieval(manifest, [plan.mode])
        retrieval = served.retrieval(pool.store) if wanted else None
        answerer = Answerer(
            served.memory,
            retrieval,
            policy=request.lift_policy,
            max_new_tokens=request.max_new_tokens(),
            top_k=request.lift_top_k,
            conversation=plan.conversation,
            scaling=request.lift_scaling,
        )
        return answerer.answer(plan.question, [plan.mode], streamer=streamer)[plan.mode]


def lift_field(request: ChatCompletionRequest, result: ModeResult) -> dict[str, Any]:
    return jsonable({"memory": memory_name_of(request.model), **result.to_json()})


def ending(served: Served, request: ChatCompletionRequest, result: ModeResult) -> ReplyEnd:
    return end_reply(
        result.answer,
        prompt_tokens=result.prompt_tokens or 0,
        completion_tokens=result.completion_tokens or 0,
        hit_token_limit=result.hit_token_limit,
        stops=request.stop_sequences(),
        tokenizer=served.loaded.tokenizer,
    )


def complete(
    pool: ServedModelCache, served: Served, request: ChatCompletionRequest, plan: ChatPlan
) -> dict[str, Any]:
    result = answer(pool, served, request, plan)
    end = ending(served, request, result)
    response = chat_completion(
        completion_id(),
        request.model,
        end.text,
        end.finish_reason,
        usage(end.prompt_tokens, end.completion_tokens),
        lift_field(request, result),
    )
    return dump(response)


class _ChatText:
    """Streamed pieces → the text that may be sent now, so that what is sent is always a
    beginning of the final (stripped, stop-cut) answer."""

    def __init__(self, stops: list[str]) -> None:
        self.scanner = StopScanner(stops)
        self.sent = ""
        self._started = False
        self._space = ""

    def feed(self, piece: str) -> str:
        if not self._started:  # the answer is stripped: no leading whitespace
            piece = piece.lstrip()
            self._started = bool(piece)
        text = self._space + self.scanner.feed(piece)
        body = text.rstrip()
        self._space = text[len(body) :]  # trailing whitespace waits for what follows it
        self.sent += body
        return body


def stream(
    pool: ServedModelCache, served: Served, request: ChatCompletionRequest, plan: ChatPlan
) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format, ending with ``data: [DONE]``."""
    id, model = completion_id(), request.model
    with_usage = request.include_usage()

    def chunk(delta: dict[str, Any], **extra: Any) -> str:
        return sse(dump(chat_chunk(id, model, delta, with_usage_field=with_usage, **extra)))

    generation = StreamedGeneration(
        lambda streamer: answer(pool, served, request, plan, streamer),
        served.loaded.tokenizer,
        stream_tokens=plan.mode != "hybrid",
        name=f"answer {model}",
    )
    yield chunk({"role": "assistant", "content": ""})
    text = _ChatText(request.stop_sequences())
    for piece in generation:
        if body := text.feed(piece):
            yield chunk({"content": body})
    try:
        result = generation.result()
    except BaseException as failure:
        error = from_exception(failure)
        if error is None:
            log.exception("answering failed", exc_info=failure)
            error = ApiError(500, "the server failed to answer", type="server_error")
        yield sse(error.body())
        return
    end = ending(served, request, result)
    if end.text != text.sent:
        if end.text.startswith(text.sent):
            yield chunk({"content": end.text[len(text.sent) :]})
        else:  # would mean the streamer decoded differently from the answer
            log.warning("streamed text %r differs from the answer %r", text.sent, end.text)
    yield chunk({}, finish_reason=end.finish_reason, lift=lift_field(request, result))
    if with_usage:
        tokens = usage(end.prompt_tokens, end.completion_tokens)
        yield sse(dump(usage_chunk(id, model, tokens)))
    yield sse("[DONE]")
