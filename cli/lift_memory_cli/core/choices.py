"""Choices in an option: one (``--policy confidence``), or several comma-separated
(``--modes memory,rag``, the bench's ``--methods``)."""

from __future__ import annotations

from collections.abc import Sequence

from lift_memory_cli.core.errors import ServiceError


def check_choice(value: str, known: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``known``, else a ServiceError naming ``what``."""
    if value not in known:
        raise ServiceError(f"unknown {what} '{value}'; choose from {', '.join(known)}")
    return value


def parse_choices(text: str, known: Sequence[str], what: str) -> list[str]:
    """'memory,rag' → ['memory', 'rag']: each one of ``known`` (lower-cased, else a
    ServiceError naming ``what``), duplicates dropped, order kept, at least one."""
    chosen: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if check_choice(name, known, what) not in chosen:
            chosen.append(name)
    if not chosen:
        raise ServiceError(f"no {what} given; choose from {', '.join(known)}")
    return chosen
