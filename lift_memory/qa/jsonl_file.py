"""QA pairs supplied by the user as a JSON-lines file (the fourth generator, docs/design.md §1.3)."""

from __future__ import annotations

import os
from pathlib import Path

from lift_memory.errors import LiftMemoryError
from lift_memory.qa.base import QAPair
from lift_memory.qa.jsonl_io import iter_jsonl_objects, require_text
from lift_memory.qa.parsing import question_key
from lift_memory.qa.text_match import NormalizedText


class JsonlQAGenerator:
    """Reads ``{"question", "answer", "evidence"?}`` objects, one per line.

    Evidence is optional (the user vouches for the pair); when given it must be a verbatim
    passage of the corpus, else the pair is dropped like any unverifiable generated pair.
    Pairs without evidence get ``evidence=""``.
    """

    name = "jsonl"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        # Fail at configuration time, before any training starts.
        if not self.path.is_file():
            raise LiftMemoryError(f"QA file not found: {self.path}")

    def generate(self, text: str, n: int) -> list[QAPair]:
        """The file's first ``n`` usable pairs (the whole file is validated regardless)."""
        index = NormalizedText(text)
        pairs: list[QAPair] = []
        seen: set[str] = set()
        for number, value in iter_jsonl_objects(self.path):
            where = f"{self.path}:{number}"
            question = require_text(value, "question", where)
            answer = require_text(value, "answer", where)
            evidence = value.get("evidence")
            if evidence is not None and not isinstance(evidence, str):
                raise LiftMemoryError(f"{where}: 'evidence' is not a string")
            located = ""
            if evidence is not None and evidence.strip():
                found = index.locate(evidence)
                if found is None:
                    continue  # evidence not in this corpus: unverifiable
                located = found
            key = question_key(question)
            if key in seen:
                continue
            seen.add(key)
            pairs.append(QAPair(question.strip(), answer.strip(), located, self.name))
        return pairs[: max(n, 0)]
