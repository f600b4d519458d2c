"""The one interface every auxiliary-QA generator implements (DESIGN §1.3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class QAPair:
    """A question about the corpus, its short answer and the verbatim evidence it rests on."""

    question: str
    answer: str
    evidence: str
    source: str = "unknown"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@runtime_checkable
class QAGenerator(Protocol):
    """Produces up to ``n`` QA pairs about ``text``; every pair's evidence is a substring of it."""

    name: str

    def generate(self, text: str, n: int) -> list[QAPair]: ...
