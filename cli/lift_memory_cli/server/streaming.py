"""A generation run in a worker thread while its text is read piece by piece: the engine calls
a transformers ``TextIteratorStreamer`` from inside ``generate``, and the response iterates it.

Iterate a :class:`StreamedGeneration` for the text pieces (none when ``stream_tokens`` is off:
the hybrid router's answer only exists once both arms ran), then :meth:`result` for what the
work returned (or its error, raised again). Also the SSE framing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from transformers import TextIteratorStreamer

T = TypeVar("T")


def sse(data: dict[str, Any] | str) -> str:
    """One server-sent event (OpenAI streams end with the event ``[DONE]``)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {payload}\n\n"


class StreamedGeneration(Generic[T]):
    """``work(streamer)`` in a daemon thread; its text pieces as they are generated."""

    def __init__(
        self,
        work: Callable[[Any | None], T],
        tokenizer: Any,
        *,
        stream_tokens: bool = True,
        name: str = "answer",
    ) -> None:
        self._streamer = (
            TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
            if stream_tokens
            else None
        )
        self._outcome: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[Any | None], T]) -> None:
        try:
            self._outcome["result"] = work(self._streamer)
        except BaseException as error:  # handed to the reader by result()
            self._outcome["error"] = error
        finally:
            if self._streamer is not None:  # unblock the reader even if generation never began
                self._streamer.text_queue.put(self._streamer.stop_signal)

    def __iter__(self) -> Iterator[str]:
        return iter(self._streamer) if self._streamer is not None else iter(())

    def result(self) -> T:
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["result"]
