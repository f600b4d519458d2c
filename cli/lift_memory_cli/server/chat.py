"""`POST /v1/chat/completions`: one question, answered by a base model or a memory.

The question is the last user message. Memories answer in any mode of ``lift-memory ask``
(``lift_mode``: memory by default, rag, hybrid, icl, base) through the same
:class:`~lift_memory_cli.answering.Answerer`; the response's extra ``lift`` field holds what
``ask --json`` prints (confidence, gate, sources, and for hybrid the chosen arm and both arms).

Streaming sends the tokens as they are generated, except in hybrid mode, whose router picks its
answer only after both arms have run: that answer is sent in one piece. The streamed text is the
non-streamed answer exactly (the answer is stripped, so leading and trailing whitespace is held
back), and the last chunk carries ``lift``.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterator
from typing import Any

from lift_memory_cli.answering import MODES, POLICIES, RETRIEVAL_MODES, Answerer, ModeResult
from lift_memory_cli.server.errors import ApiError, from_exception
from lift_memory_cli.server.pool import ModelPool, Served, memory_name
from lift_memory_cli.server.schemas import ChatCompletionRequest, chunk, completion, completion_id

log = logging.getLogger("lift_memory.server")


def check_request(request: ChatCompletionRequest, served_is_memory: bool) -> tuple[str, str]:
    """(question, mode) of a valid request; 400 otherwise."""
    question = (request.question() or "").strip()
    if not question:
        raise ApiError(400, "no user message with text in messages", param="messages")
    mode = (request.lift_mode or ("memory" if served_is_memory else "base")).strip().lower()
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
    return question, mode


def answer(
    pool: ModelPool,
    served: Served,
    request: ChatCompletionRequest,
    question: str,
    mode: str,
    streamer: Any | None = None,
) -> ModeResult:
    """The mode's answer, with the model's lock held for the whole request."""
    with served.lock:
        if served.memory is None:
            return _base_answer(served, question, request.max_new_tokens(), streamer)
        retrieval = served.retrieval(pool.store) if mode in RETRIEVAL_MODES else None
        answerer = Answerer(
            served.memory,
            retrieval,
            policy=request.lift_policy,
            max_new_tokens=request.max_new_tokens(),
            top_k=request.lift_top_k,
        )
        return answerer.answer(question, [mode], streamer=streamer)[mode]


def _base_answer(
    served: Served, question: str, max_new_tokens: int, streamer: Any | None
) -> ModeResult:
    from lift_memory.answer import generate_answer

    result = generate_answer(
        served.loaded, question, max_new_tokens=max_new_tokens, streamer=streamer
    )
    return ModeResult(
        mode="base",
        answer=result.text,
        latency_s=result.latency_s,
        confidence=math.exp(result.mean_logprob),
        mean_logprob=result.mean_logprob,
    )


def lift_field(request: ChatCompletionRequest, result: ModeResult) -> dict[str, Any]:
    from lift_memory_cli.rendering import jsonable

    return jsonable({"memory": memory_name(request.model), **result.to_json()})


def complete(
    pool: ModelPool, served: Served, request: ChatCompletionRequest, question: str, mode: str
) -> dict[str, Any]:
    result = answer(pool, served, request, question, mode)
    return completion(completion_id(), request.model, result.answer, lift_field(request, result))


def _sse(data: dict[str, Any] | str) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {payload}\n\n"


def stream(
    pool: ModelPool, served: Served, request: ChatCompletionRequest, question: str, mode: str
) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format, ending with ``data: [DONE]``."""
    from transformers import TextIteratorStreamer

    id, model = completion_id(), request.model
    streamer = None
    if mode != "hybrid":
        streamer = TextIteratorStreamer(
            served.loaded.tokenizer, skip_prompt=True, skip_special_tokens=True
        )
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = answer(pool, served, request, question, mode, streamer)
        except BaseException as error:  # reported to the client as an error event
            outcome["error"] = error
        finally:
            if streamer is not None:  # unblock the reader even if generation never started
                streamer.text_queue.put(streamer.stop_signal)

    worker = threading.Thread(target=work, name=f"answer {model}", daemon=True)
    worker.start()
    yield _sse(chunk(id, model, {"role": "assistant", "content": ""}))
    sent, held = "", ""
    for piece in streamer if streamer is not None else ():
        text = held + piece
        if not sent:
            text = text.lstrip()
        body = text.rstrip()
        held = text[len(body) :]  # trailing whitespace waits: the final answer is stripped
        if body:
            sent += body
            yield _sse(chunk(id, model, {"content": body}))
    worker.join()
    if "error" in outcome:
        error = from_exception(outcome["error"])
        if error is None:
            log.exception("answering failed", exc_info=outcome["error"])
            error = ApiError(500, "the server failed to answer", type="server_error")
        yield _sse(error.body())
        return
    result: ModeResult = outcome["result"]
    if result.answer != sent:
        if result.answer.startswith(sent):
            yield _sse(chunk(id, model, {"content": result.answer[len(sent) :]}))
        else:  # would mean the streamer decoded differently from the answer
            log.warning("streamed text %r differs from the answer %r", sent, result.answer)
    yield _sse(chunk(id, model, {}, finish_reason="stop", lift=lift_field(request, result)))
    yield _sse("[DONE]")
