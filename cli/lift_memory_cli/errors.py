"""One-line errors and exit codes (DESIGN §6): a user error never shows a traceback.

Every command is wrapped by :func:`command`, which turns the errors a user can act on — the
engine's ``LiftMemoryError`` family, this package's ``CliError``, invalid settings, OS errors —
into ``error: <one line>`` on stderr and a non-zero exit. ``LIFT_MEMORY_DEBUG=1`` re-raises
instead, for a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

EXIT_ERROR = 1
EXIT_USAGE = 2  # click's own code for bad options / arguments
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


class CliError(Exception):
    """An error the user can act on; ``str(error)`` is the whole message."""

    exit_code = EXIT_ERROR


class InputError(CliError):
    """A path or stdin that cannot be ingested: missing, empty, binary or undecodable."""


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def print_error(message: object) -> None:
    """``error: message`` on stderr, on one line whatever the terminal width (no rich wrap)."""
    sys.stderr.write(f"error: {one_line(message)}\n")
    sys.stderr.flush()


def _is_engine_error(error: BaseException) -> bool:
    # Checked through sys.modules: a command that failed before importing the engine cannot
    # have raised one of its errors, and importing it here would cost seconds (torch).
    module = sys.modules.get("lift_memory.errors")
    return module is not None and isinstance(error, module.LiftMemoryError)


def _is_validation_error(error: BaseException) -> bool:
    module = sys.modules.get("pydantic")
    return module is not None and isinstance(error, module.ValidationError)


def describe_validation_error(error: Any) -> str:
    """'field: message' for the first problem of a pydantic ValidationError."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first.get("loc", ()))
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{location}: {message}{more}" if location else f"{message}{more}"


def _is_control_flow(error: BaseException) -> bool:
    """typer/click's Exit, Abort and usage errors: theirs to handle, not ours."""
    return any(
        cls.__module__.split(".")[0] in ("typer", "click")
        and cls.__name__ in ("Exit", "Abort", "ClickException")
        for cls in type(error).__mro__
    )


def _message(error: BaseException) -> str | None:
    """The one-line message for an error a user can act on, or None for a bug."""
    if isinstance(error, CliError) or _is_engine_error(error):
        return one_line(error)
    if _is_validation_error(error):
        return f"invalid settings: {describe_validation_error(error)}"
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return one_line(f"{error.strerror or error}{where}")
    return None


def command(function: F) -> F:
    """Wrap a Typer command so that errors end the process with one line, not a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except KeyboardInterrupt:
            if os.environ.get("LIFT_MEMORY_DEBUG"):
                raise
            print_error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as error:
            if _is_control_flow(error) or os.environ.get("LIFT_MEMORY_DEBUG"):
                raise
            message = _message(error)
            if message is None:
                message = (
                    f"unexpected {type(error).__name__}: {one_line(error)} "
                    "(this is a bug; run again with LIFT_MEMORY_DEBUG=1 for the traceback)"
                )
            print_error(message)
            raise typer.Exit(getattr(error, "exit_code", EXIT_ERROR)) from None

    return wrapper  # type: ignore[return-value]
