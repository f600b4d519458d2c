"""The text files a memory keeps beside its adapter (docs/design.md §4).

- ``corpus.jsonl``: the documents the memory was built from, one ``{"source", "text"}`` object
  a line, read back for truncated-context answering and replayed by consolidation;
- ``retention.jsonl``: the base model's own answers to generic prompts, one ``[prompt, reply]``
  pair a line, recorded once before any adapter exists and reused on resume and consolidation;
  a pair with an empty prompt is plain text the base model wrote itself (``["", passage]``).

Both are written atomically, so a reader sees the old file or the new one.
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
    "read_corpus",
    "read_retention",
    "write_corpus",
    "write_retention",
]

CORPUS_FILE = "corpus.jsonl"
RETENTION_FILE = "retention.jsonl"


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
