"""The text files a memory keeps beside its adapter (docs/design.md §4).

- ``corpus.jsonl``: the documents the memory was built from, one ``{"source", "text"}`` object
  a line, read back for truncated-context answering and replayed by consolidation;
- ``retention.jsonl``: the base model's own answers to generic prompts, one ``[prompt, reply]``
  pair a line, recorded once before any adapter exists and reused on resume and consolidation;
  a pair with an empty prompt is plain text the base model wrote itself (``["", passage]``);
- ``relevance_shut.jsonl``: the questions beside the retention prompts a LoRA's fitted relevance
  gate is shut on (``relevance_shut_side.py``), one JSON string a line, written once and reused
  on resume and consolidation (the turns the base model writes take minutes).

All are written atomically, so a reader sees the old file or the new one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from lift_memory.atomic import atomic_write_text
from lift_memory.documents import Document

__all__ = [
    "CORPUS_FILE",
    "RETENTION_FILE",
    "SHUT_FILE",
    "read_corpus",
    "read_retention",
    "read_shut_questions",
    "write_corpus",
    "write_retention",
    "write_shut_questions",
]

CORPUS_FILE = "corpus.jsonl"
RETENTION_FILE = "retention.jsonl"
SHUT_FILE = "relevance_shut.jsonl"


def read_corpus(memory_dir: Path) -> list[Document]:
    """The documents a memory was built from (kept for truncated-context answering)."""
    path = memory_dir / CORPUS_FILE
    if not path.exists():
        return []
    return [Document(**json.loads(line)) for line in path.read_text().splitlines() if line]


def write_corpus(memory_dir: Path, documents: Iterable[Document]) -> None:
    """Replace the memory's corpus with ``documents``."""
    lines = (json.dumps({"source": d.source, "text": d.text}) + "\n" for d in documents)
    atomic_write_text(memory_dir / CORPUS_FILE, "".join(lines))


def read_retention(memory_dir: Path) -> list[tuple[str, str]] | None:
    """The recorded retention pairs, or None when none were recorded yet."""
    path = memory_dir / RETENTION_FILE
    if not path.exists():
        return None
    return [tuple(json.loads(line)) for line in path.read_text().splitlines() if line]


def write_retention(memory_dir: Path, pairs: Iterable[tuple[str, str]]) -> None:
    """Record the retention pairs (prompt, base-model reply)."""
    atomic_write_text(memory_dir / RETENTION_FILE, "".join(json.dumps(p) + "\n" for p in pairs))


def read_shut_questions(memory_dir: Path) -> list[str] | None:
    """The relevance gate's extra shut questions, or None when none were written yet."""
    path = memory_dir / SHUT_FILE
    if not path.exists():
        return None
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def write_shut_questions(memory_dir: Path, questions: Iterable[str]) -> None:
    """Record the relevance gate's extra shut questions."""
    atomic_write_text(memory_dir / SHUT_FILE, "".join(json.dumps(q) + "\n" for q in questions))
