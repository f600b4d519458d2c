"""Each method's finished answers, kept in the run folder so that a rerun after a crash or a stop
answers only the methods still missing.

A quality run takes ~3.5 h on two CPU cores; before this file a stop in its last method threw
away every answer of the others (the trainings were already kept in ``DIR/store``). A method's
record is reused only while everything its answers depend on is the same: the profile, the
corpus and questions, the base model, the device and dtype, the library, torch and relevance-rule
versions, and the trained memory it answers from (its store name and creation time, so a
retrained memory is answered again). ``--fresh`` deletes the
records first. A code change that keeps the library version is not seen: pass ``--fresh`` after
one. A profile with one more method changes every method's key: all are answered again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lift_memory.atomic import atomic_write_text

FINISHED_DIR = "finished"


def answers_key(**parts: Any) -> str:
    """A digest of everything a method's answers depend on (JSON-serialisable parts)."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class FinishedMethods:
    """The per-method records of one run folder (``DIR/finished/METHOD.json``)."""

    folder: Path

    def _path(self, method: str) -> Path:
        return self.folder / FINISHED_DIR / f"{method}.json"

    def load(self, method: str, key: str) -> tuple[dict[str, Any], dict[str, dict]] | None:
        """The result and per-question cells ``method`` finished under ``key``, or None."""
        path = self._path(method)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("key") != key:
                return None
            return dict(record["result"]), dict(record["cells"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # a damaged record is answered again, never trusted

    def clear(self) -> None:
        """Forget every kept answer (``--fresh``)."""
        for path in (self.folder / FINISHED_DIR).glob("*.json"):
            path.unlink()

    def save(self, method: str, key: str, result: dict[str, Any], cells: dict[str, dict]) -> None:
        """Keep a finished method's result and its per-question cells (atomically)."""
        path = self._path(method)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"key": key, "result": result, "cells": cells}
        atomic_write_text(path, json.dumps(record, ensure_ascii=False))
