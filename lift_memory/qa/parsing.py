"""Turn free-form LLM output into verified QA pairs (docs/design.md §1.3).

Models answer in whatever shape they like: a JSON list (maybe inside a code fence or prose),
JSON lines, or "Q: / A: / E:" blocks. We accept all three, then keep only pairs whose evidence is
a verbatim passage of the corpus, so a hallucinated quote can never become a training target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lift_memory.qa.base import QAPair
from lift_memory.qa.text_match import (
    NormalizedText,
    clean_evidence,
    evidence_in_text,
    normalize_whitespace,
)

__all__ = ["evidence_in_text", "parse_qa_output", "question_key"]

# Raw outputs longer than this are truncated: the JSON scan is quadratic in the worst case.
_MAX_RAW_CHARS = 200_000
# Nested containers deeper than this are not QA lists; stop walking.
_MAX_JSON_DEPTH = 6

_KEY_ALIASES = {
    "question": "question",
    "q": "question",
    "answer": "answer",
    "a": "answer",
    "short_answer": "answer",
    "evidence": "evidence",
    "e": "evidence",
    "quote": "evidence",
    "support": "evidence",
}

# "Q:", "Question 2:", "- **A:**", "3. E:" ... at the start of a line.
_LABEL_LINE = re.compile(
    r"^\s*(?:[-*•>#]+\s*)?(?:\(?\d+[.):]\s*)?(?:\*\*|__)?\s*"
    r"(question|answer|evidence|q|a|e)\s*\d*\s*(?:\*\*|__)?\s*[:：]\s*(.*)$",
    re.IGNORECASE,
)
# Small models put a whole pair on one line ("Q: ... A: ... E: ..."); split before inner labels.
# Upper-case only, so prose such as "vitamin a: ..." is left alone.
_INLINE_LABEL = re.compile(r"\s+(?=(?:A|E|Answer|Evidence)\s*:\s)")
_FIELD_FOR_LABEL = {
    "q": "question",
    "question": "question",
    "a": "answer",
    "answer": "answer",
    "e": "evidence",
    "evidence": "evidence",
}
_ANSWER_WRAPPERS = "\"'`“”‘’«»*_"


def question_key(question: str) -> str:
    """Key under which two questions count as the same (case, spacing and final '?' ignored)."""
    return normalize_whitespace(question).casefold().rstrip("?.! ")


def _json_values(raw: str) -> Iterator[Any]:
    """Every JSON array/object embedded in ``raw`` (code fences, prose and JSON lines alike)."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        starts = [i for i in (raw.find("[", position), raw.find("{", position)) if i >= 0]
        if not starts:
            return
        start = min(starts)
        try:
            value, end = decoder.raw_decode(raw, start)
        except (ValueError, RecursionError):
            position = start + 1
            continue
        yield value
        position = max(end, start + 1)


def _records_from_json(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Walk a decoded JSON value and yield the objects that look like QA records."""
    if depth > _MAX_JSON_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _records_from_json(item, depth + 1)
    elif isinstance(value, dict):
        record = {}
        for key, item in value.items():
            field = _KEY_ALIASES.get(str(key).strip().lower())
            if field is not None and field not in record:
                record[field] = item
        if "question" in record:
            yield record
        else:
            # A wrapper such as {"qa_pairs": [...]}: look inside.
            for item in value.values():
                yield from _records_from_json(item, depth + 1)


def _records_from_blocks(raw: str) -> Iterator[dict[str, Any]]:
    """Parse "Q: / A: / E:" (or "Question: / Answer: / Evidence:") blocks, line by line."""
    current: dict[str, str] = {}
    last_field: str | None = None
    for physical_line in raw.splitlines():
        for line in _INLINE_LABEL.split(physical_line):
            match = _LABEL_LINE.match(line)
            if match is None:
                if not line.strip():
                    last_field = None  # a blank line ends a multi-line field
                elif last_field is not None:
                    current[last_field] += " " + line.strip()
                continue
            field = _FIELD_FOR_LABEL[match.group(1).lower()]
            if field in current or (field == "question" and current):
                yield current
                current = {}
            current[field] = match.group(2).strip()
            last_field = field
    if current:
        yield current


def _clean_answer(answer: str) -> str:
    return normalize_whitespace(answer).strip(_ANSWER_WRAPPERS).strip()


def _as_text(value: Any) -> str:
    # Answers such as 1847 come back as JSON numbers; anything else non-textual is unusable.
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def parse_qa_output(raw: str, corpus: str, source: str) -> list[QAPair]:
    """Parse QA pairs from LLM output; keep those with all fields and verbatim evidence.

    Evidence is compared whitespace-normalised with surrounding quotes stripped, and returned as
    the exact passage of ``corpus`` it matched. Questions are de-duplicated case-insensitively.
    Never raises on malformed input: unusable pieces are skipped.
    """
    if not isinstance(raw, str) or not raw.strip():
        return []
    raw = raw[:_MAX_RAW_CHARS]
    records: list[dict[str, Any]] = []
    for value in _json_values(raw):
        records.extend(_records_from_json(value))
    records.extend(_records_from_blocks(raw))

    index = NormalizedText(corpus)
    pairs: list[QAPair] = []
    seen: set[str] = set()
    for record in records:
        question = normalize_whitespace(_as_text(record.get("question"))).strip("*_ ")
        answer = _clean_answer(_as_text(record.get("answer")))
        evidence_raw = _as_text(record.get("evidence"))
        if not question or not answer or not clean_evidence(evidence_raw):
            continue
        key = question_key(question)
        if not key or key in seen:
            continue
        evidence = index.locate(evidence_raw)
        if evidence is None:
            continue
        seen.add(key)
        pairs.append(QAPair(question=question, answer=answer, evidence=evidence, source=source))
    return pairs
