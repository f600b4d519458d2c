"""Read and write QA pairs as JSON lines (the memory's ``qa.jsonl``, user-supplied QA files)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lift_memory.atomic import atomic_write_text
from lift_memory.errors import LiftMemoryError
from lift_memory.qa.base import QAPair


def iter_jsonl_objects(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; one-line LiftMemoryError otherwise."""
    file = Path(path)
    try:
        handle = file.open(encoding="utf-8")
    except FileNotFoundError:
        raise LiftMemoryError(f"QA file not found: {file}") from None
    except OSError as error:
        raise LiftMemoryError(f"cannot read QA file {file}: {error.strerror or error}") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as error:
                    raise LiftMemoryError(
                        f"{file}:{number}: invalid JSON ({error.msg}); expected one object per line"
                    ) from None
                if not isinstance(value, dict):
                    raise LiftMemoryError(
                        f"{file}:{number}: expected a JSON object, got {type(value).__name__}"
                    )
                yield number, value
        except UnicodeDecodeError:
            raise LiftMemoryError(f"{file}: not UTF-8 text") from None


def require_text(value: dict[str, Any], key: str, where: str) -> str:
    """The non-empty string under ``key``, or a LiftMemoryError naming the file and line."""
    item = value.get(key)
    if not isinstance(item, str) or not item.strip():
        problem = "missing" if key not in value else "not a non-empty string"
        raise LiftMemoryError(f"{where}: '{key}' is {problem}")
    return item


def read_qa_jsonl(path: str | os.PathLike[str]) -> list[QAPair]:
    """Load pairs written by :func:`write_qa_jsonl` (all but ``question`` and ``answer``
    optional)."""
    pairs = []
    for number, value in iter_jsonl_objects(path):
        where = f"{Path(path)}:{number}"
        evidence = value.get("evidence", "")
        source = value.get("source", "unknown")
        reply = value.get("reply", "")
        probed = value.get("probed", "")
        pairs.append(
            QAPair(
                question=require_text(value, "question", where),
                answer=require_text(value, "answer", where),
                evidence=evidence if isinstance(evidence, str) else "",
                source=source if isinstance(source, str) else "unknown",
                reply=reply if isinstance(reply, str) else "",
                probed=probed if isinstance(probed, str) else "",
            )
        )
    return pairs


def write_qa_jsonl(path: str | os.PathLike[str], pairs: Iterable[QAPair]) -> None:
    """Write pairs one JSON object per line, atomically (temp file, fsync, rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A crash mid-write must never leave a truncated qa.jsonl behind (docs/design.md §4);
    # atomic.py's temp names are also the ones an interrupted ingest's cleanup recognizes.
    text = "".join(json.dumps(pair.to_dict(), ensure_ascii=False) + "\n" for pair in pairs)
    atomic_write_text(target, text)
