"""OpenAI's ``stop``: the reply ends before the first stop sequence, which is not returned.

The model generates to its token limit regardless (the engine's greedy routine has no stop
strings); the text is cut afterwards, and a stream holds back any tail that could still become
a stop sequence, so the streamed text equals the cut one.
"""

from __future__ import annotations

from collections.abc import Sequence


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """(``text`` up to its first stop sequence, whether one was found)."""
    positions = [index for stop in stops if stop and (index := text.find(stop)) >= 0]
    if not positions:
        return text, False
    return text[: min(positions)], True


def _pending_length(text: str, stops: Sequence[str]) -> int:
    """Length of the longest tail of ``text`` that begins some stop sequence."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


class StopScanner:
    """Feeds streamed text through; returns what is safe to send before a stop sequence."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [stop for stop in stops if stop]
        self.stopped = False
        self._held = ""

    def feed(self, piece: str) -> str:
        """The part of ``held + piece`` that can be sent now ('' once a stop was seen)."""
        if self.stopped:
            return ""
        text = self._held + piece
        cut, found = cut_at_stop(text, self.stops)
        if found:
            self.stopped, self._held = True, ""
            return cut
        keep = _pending_length(text, self.stops)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]
