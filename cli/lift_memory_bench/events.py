"""What a benchmark run reports while it runs; the CLI renders it with rich, tests ignore it."""

from __future__ import annotations

from typing import Any, Protocol


class BenchEvents(Protocol):
    def stage(self, message: str) -> None:
        """A new phase starts (loading, building the corpus, training a variant …)."""

    def train(self, progress: Any) -> None:
        """One optimizer step of an ingest finished (a ``lift_memory.train.TrainProgress``)."""

    def answering(self, method: str, done: int, total: int) -> None:
        """``done`` of ``total`` questions and probes answered by ``method``."""

    def method_done(self, method: str, summary: str) -> None:
        """A method finished (or was skipped, or failed): one line about it."""

    def note(self, message: str) -> None:
        """Something worth a line (a reused memory, an estimate …)."""


class NullEvents:
    """Reports nothing."""

    def stage(self, message: str) -> None:
        pass

    def train(self, progress: Any) -> None:
        pass

    def answering(self, method: str, done: int, total: int) -> None:
        pass

    def method_done(self, method: str, summary: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass
