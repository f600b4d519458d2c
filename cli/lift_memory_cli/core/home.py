"""Which store a command or the server works on: an explicit home, else the engine's default
(``$LIFT_MEMORY_HOME``, then ``~/.lift-memory``; docs/design.md §4)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lift_memory.home import default_home

if TYPE_CHECKING:  # the store brings pydantic models; `--help` and plain paths do not need them
    from lift_memory.store import MemoryStore


def resolve_home(chosen: Path | str | None = None) -> Path:
    """``chosen`` (a ``--home``), or the engine's default home."""
    if chosen is not None and str(chosen):
        return Path(chosen).expanduser()
    return default_home()


def open_store(chosen: Path | str | None = None) -> MemoryStore:
    from lift_memory.store import MemoryStore

    return MemoryStore(resolve_home(chosen))
