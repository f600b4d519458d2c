"""What the base model writes for a memory, kept per model so a second memory reads it back.

Before training, an ingest has the frozen base model write text that never depends on the
corpus: its greedy answers to the bundled retention prompts, the chats and passages it writes
itself (``self_prompts.py``) and the user turns a fitted relevance gate is shut on
(``relevance_shut_side.py``). On 2 CPU cores that took ~330 s of a 1k-token ingest, a third of
it (docs/benchmarks.md, twenty-sixth session). Each piece is a function of the base model, the
seed and the settings that ask for it, so it is kept in the store's home
(``cache/base-writing/``) under a key of everything that decides it:

- the model's id and weight fingerprint, the device type and the weights' dtype;
- the torch and transformers versions (sampling and kernels change between releases);
- the source of the modules that write it (a changed prompt or sampling setting is a new key);
- the settings the caller passes (counts, seed).

A file that cannot be read is written again; writes are atomic, so a crash leaves the old file
or none (docs/lift.md §5).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar

from lift_memory import batched_generation, generic_prompts, prompts, retention, self_prompts
from lift_memory.atomic import atomic_write_json
from lift_memory.config import LiftConfig
from lift_memory.models import LoadedModel

__all__ = [
    "CACHE_DIR",
    "Written",
    "base_writing_key",
    "kept_retention_answers",
    "kept_self_written_retention",
    "kept_user_turns",
    "remembered",
]

CACHE_DIR = Path("cache") / "base-writing"
_FORMAT = 1

T = TypeVar("T")


@dataclass(frozen=True)
class Written(Generic[T]):
    """What the base model wrote, the seconds writing it took (now, or when it was kept: the
    bench charges every training a cold ingest's cost) and whether it was read back."""

    value: T
    seconds: float
    kept: bool

    @property
    def saved_s(self) -> float:
        """The seconds not spent now because the text was read back."""
        return self.seconds if self.kept else 0.0


def _source_digest(modules: tuple[ModuleType, ...]) -> str | None:
    """One digest of the modules' source files; None where one has no readable source (then
    nothing is kept: a change could not be seen)."""
    digest = hashlib.sha256()
    for module in modules:
        path = getattr(module, "__file__", None)
        if not path:
            return None
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            return None
    return digest.hexdigest()


def base_writing_key(
    loaded: LoadedModel, what: str, settings: dict[str, Any], writers: tuple[ModuleType, ...]
) -> str | None:
    """The key of ``what`` the base model writes under ``settings`` with the code of
    ``writers``; None when it cannot be keyed safely."""
    import torch
    import transformers

    sources = _source_digest(writers)
    if sources is None:
        return None
    parameter = next(loaded.model.parameters())
    identity = {
        "format": _FORMAT,
        "what": what,
        "model": loaded.model_id,
        "fingerprint": loaded.fingerprint,
        "device": parameter.device.type,
        "dtype": str(parameter.dtype),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sources": sources,
        "settings": settings,
    }
    encoded = json.dumps(identity, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def remembered(
    home: Path | None,
    loaded: LoadedModel,
    what: str,
    settings: dict[str, Any],
    writers: tuple[ModuleType, ...],
    write: Callable[[], Any],
    announce: Callable[[], None] | None = None,
) -> Written[Any]:
    """``write()``'s JSON value for this base model and ``settings``, read from ``home``'s cache
    when an earlier call kept it; else written now (``announce()`` first: it is the slow part)
    and kept. ``home`` None keeps nothing."""
    key = base_writing_key(loaded, what, settings, writers) if home is not None else None
    path = Path(home) / CACHE_DIR / f"{what}-{key}.json" if home is not None and key else None
    if path is not None:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            return Written(record["value"], float(record["seconds"]), kept=True)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not kept yet, or unreadable: write it again
    if announce is not None:
        announce()
    started = time.perf_counter()
    value = write()
    seconds = time.perf_counter() - started
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"what": what, "model": loaded.model_id, "seconds": seconds, "value": value}
        atomic_write_json(path, record)
    return Written(value, seconds, kept=False)


def _as_pairs(written: Written[Any]) -> Written[list[tuple[str, str]]]:
    """Retention pairs as tuples again (JSON kept them as lists)."""
    pairs = [(str(prompt), str(reply)) for prompt, reply in written.value]
    return Written(pairs, written.seconds, written.kept)


def kept_retention_answers(
    loaded: LoadedModel,
    count: int,
    home: Path | None,
    announce: Callable[[], None] | None = None,
) -> Written[retention.RetentionPairs]:
    """``retention.record_retention_answers``, kept in ``home``."""
    if count <= 0:
        return Written([], 0.0, kept=False)
    return _as_pairs(
        remembered(
            home,
            loaded,
            "retention-answers",
            {"count": count},
            (retention, generic_prompts, batched_generation, prompts),
            lambda: retention.record_retention_answers(loaded, count),
            announce,
        )
    )


def kept_self_written_retention(
    loaded: LoadedModel,
    config: LiftConfig,
    home: Path | None,
    announce: Callable[[], None] | None = None,
) -> Written[list[tuple[str, str]]]:
    """``self_prompts.self_written_retention``, kept in ``home``."""
    if config.retention_self_prompts <= 0 and config.retention_self_passages <= 0:
        return Written([], 0.0, kept=False)
    settings = {
        "chats": config.retention_self_prompts,
        "passages": config.retention_self_passages,
        "seed": config.seed,
    }
    return _as_pairs(
        remembered(
            home,
            loaded,
            "self-written-retention",
            settings,
            (self_prompts, batched_generation, prompts),
            lambda: self_prompts.self_written_retention(loaded, config),
            announce,
        )
    )


def kept_user_turns(
    loaded: LoadedModel,
    count: int,
    seed: int,
    home: Path | None,
    announce: Callable[[], None] | None = None,
) -> Written[list[str]]:
    """``self_prompts.self_written_user_turns``, kept in ``home``."""
    if count <= 0:
        return Written([], 0.0, kept=False)
    written = remembered(
        home,
        loaded,
        "user-turns",
        {"count": count, "seed": seed},
        (self_prompts, batched_generation, prompts),
        lambda: self_prompts.self_written_user_turns(loaded, count, seed=seed),
        announce,
    )
    return Written([str(turn) for turn in written.value], written.seconds, written.kept)
