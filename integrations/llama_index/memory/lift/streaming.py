"""Streaming a reply: generation in a worker thread, its text pieces handed to the caller.

``model.generate`` blocks until the reply is complete; a transformers streamer receives its
tokens as they come. The generation runs in a worker thread (which holds the model lock, see
:meth:`LiftLLM.generate`) and the caller iterates the streamer: synchronously with
``TextIteratorStreamer``, or on the event loop with ``AsyncTextIteratorStreamer``, so the loop
keeps running while the model generates.

Both iterators yield the reply's text pieces, then the finished :class:`Answer` (its
confidence and gate statistics exist only once generation has ended).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from lift_memory.answer import Answer

Generate = Callable[[Any], Answer]
"""Runs one generation with the given transformers streamer and returns its answer."""


def stream_reply(generate: Generate, tokenizer: Any) -> Iterator[str | Answer]:
    """Text pieces of the reply as they are generated, then its :class:`Answer`."""
    from transformers import TextIteratorStreamer

    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    outcome: list[Answer] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(generate(streamer))
        except BaseException as error:  # surfaced in the caller's thread below
            failure.append(error)
            streamer.end()  # unblock the caller, which is waiting for the next piece

    # copy_context: instrumentation spans opened by the caller stay the worker's parents
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(run,), name="lift-stream", daemon=True)
    thread.start()
    for piece in streamer:
        if piece:
            yield piece
    thread.join()
    if failure:
        raise failure[0]
    yield outcome[0]


async def astream_reply(generate: Generate, tokenizer: Any) -> AsyncIterator[str | Answer]:
    """:func:`stream_reply` for the event loop: it awaits each piece instead of blocking."""
    from transformers import AsyncTextIteratorStreamer

    streamer = AsyncTextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)

    def run() -> Answer:
        try:
            return generate(streamer)
        except BaseException:
            streamer.end()  # unblock the loop, which is waiting for the next piece
            raise

    worker = asyncio.ensure_future(asyncio.to_thread(run))
    try:
        async for piece in streamer:
            if piece:
                yield piece
        yield await worker
    finally:
        # a stream abandoned early: the generation ends in its thread, its outcome unread
        worker.add_done_callback(lambda task: task.cancelled() or task.exception())
