"""Errors a user can act on, raised by the service layer; the faces turn them into messages.

A command prints ``error: <one line>`` and exits non-zero (``lift_memory_cli.errors``); the
server answers an OpenAI-style error body (``lift_memory_cli.server.errors``). Both use
:func:`user_message` to tell such an error from a bug.
"""

from __future__ import annotations

import sys
from typing import Any

from lift_memory.errors import LiftMemoryError
from lift_memory_cli.core.text import one_line


class ServiceError(Exception):
    """An error the user can act on (a bad file, a mode the memory cannot answer in…);
    ``str(error)`` is the whole message."""


class InputError(ServiceError):
    """A path or stdin that cannot be ingested: missing, empty, binary or undecodable."""


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped an ingest while it trained; ``str(error)`` says how to continue.

    Still a ``KeyboardInterrupt``: whoever does not care for the hint handles it as one."""


def print_error(message: object) -> None:
    """``error: message`` on stderr, on one line whatever the terminal width (no rich wrap)."""
    sys.stderr.write(f"error: {one_line(message)}\n")
    sys.stderr.flush()


def describe_validation_error(error: Any) -> str:
    """'field: message' for the first problem of a pydantic ValidationError."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first.get("loc", ()))
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{location}: {message}{more}" if location else f"{message}{more}"


def _is_validation_error(error: BaseException) -> bool:
    # A ValidationError exists only if pydantic was imported: no need to import it to check.
    module = sys.modules.get("pydantic")
    return module is not None and isinstance(error, module.ValidationError)


def user_message(error: BaseException) -> str | None:
    """The one-line message for an error a user can act on, or None for a bug."""
    if isinstance(error, ServiceError | LiftMemoryError):
        return one_line(error)
    if _is_validation_error(error):
        return f"invalid settings: {describe_validation_error(error)}"
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return one_line(f"{error.strerror or error}{where}")
    return None
