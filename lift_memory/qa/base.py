"""The one interface every auxiliary-QA generator implements (docs/design.md §1.3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class QAPair:
    """A question about the corpus, its short answer and the verbatim evidence it rests on.

    ``reply``, when set, is the answer as a short sentence ("Orla Fenwick built the lighthouse.")
    and is what training teaches the model to say; otherwise the ingest's ``qa_answer_style``
    picks the evidence sentence or the bare answer.

    ``probed``, when set, is the part of the reply that must come out right for the fact to
    count as learned (the extractability probe, docs/lift.md §6); otherwise the answer alone.
    A reply that works its answer out in steps sets it: there the answer follows from what the
    reply wrote before it, so probing the answer alone passes before the steps are learned.
    """

    question: str
    answer: str
    evidence: str
    source: str = "unknown"
    reply: str = ""
    probed: str = ""

    def to_dict(self) -> dict[str, str]:
        record = asdict(self)
        # files written before these fields existed stay byte-identical
        for optional in ("reply", "probed"):
            if not record[optional]:
                del record[optional]
        return record


@runtime_checkable
class QAGenerator(Protocol):
    """Produces up to ``n`` QA pairs about ``text``; every pair's evidence is a substring of it."""

    name: str

    def generate(self, text: str, n: int) -> list[QAPair]: ...
