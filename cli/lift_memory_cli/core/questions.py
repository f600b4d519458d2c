"""Questions files for `lift-memory compare --questions FILE.jsonl`: one JSON object a line with
``question`` and optional gold ``answer``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from lift_memory_cli.core.errors import ServiceError


@dataclass
class Question:
    question: str
    answers: list[str] = field(default_factory=list)  # gold answers; any one counts


def read_questions(path: Path) -> list[Question]:
    """A JSONL file: one object per line with ``question`` and optional ``answer`` (a string
    or a list of acceptable strings; ``answers`` works too). Blank lines and # comments skip."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ServiceError(f"no such questions file: {path}") from None
    except UnicodeDecodeError:
        raise ServiceError(f"questions file {path} is not UTF-8 text") from None
    questions: list[Question] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise ServiceError(f"{path} line {number} is not JSON ({error.msg})") from None
        question = item.get("question") if isinstance(item, dict) else None
        if not isinstance(question, str) or not question.strip():
            raise ServiceError(f'{path} line {number} has no "question" string')
        gold = item.get("answer", item.get("answers"))
        if gold is None:
            answers: list[str] = []
        elif isinstance(gold, str):
            answers = [gold]
        elif isinstance(gold, list) and all(isinstance(g, str) for g in gold):
            answers = list(gold)
        else:
            raise ServiceError(
                f'{path} line {number}: "answer" must be a string or a list of strings'
            )
        questions.append(Question(question.strip(), answers))
    if not questions:
        raise ServiceError(f"questions file {path} has no questions")
    return questions
