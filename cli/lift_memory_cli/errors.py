"""One-line errors and exit codes (docs/design.md §6): a user error never shows a traceback.

Every command is wrapped by :func:`command`, which turns the errors a user can act on — the
engine's ``LiftMemoryError`` family, the service layer's ``ServiceError`` (this module's
``CliError`` among them), invalid settings, OS errors — into ``error: <one line>`` on stderr and
a non-zero exit. ``LIFT_MEMORY_DEBUG=1`` re-raises instead, for a traceback.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from lift_memory_cli.core.errors import IngestInterrupted, ServiceError, print_error, user_message
from lift_memory_cli.core.text import one_line

EXIT_ERROR = 1
EXIT_USAGE = 2  # click's own code for bad options / arguments
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


class CliError(ServiceError):
    """A command called in a way it cannot run (options that contradict each other, a
    deletion not confirmed…); ``str(error)`` is the whole message."""

    exit_code = EXIT_ERROR


def _is_control_flow(error: BaseException) -> bool:
    """typer/click's Exit, Abort and usage errors: theirs to handle, not ours."""
    return any(
        cls.__module__.split(".")[0] in ("typer", "click")
        and cls.__name__ in ("Exit", "Abort", "ClickException")
        for cls in type(error).__mro__
    )


def command(function: F) -> F:
    """Wrap a Typer command so that errors end the process with one line, not a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except KeyboardInterrupt as interrupt:
            if os.environ.get("LIFT_MEMORY_DEBUG"):
                raise
            # an interrupted ingest says how to continue it
            print_error(interrupt if isinstance(interrupt, IngestInterrupted) else "interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as error:
            if _is_control_flow(error) or os.environ.get("LIFT_MEMORY_DEBUG"):
                raise
            message = user_message(error)
            if message is None:
                message = (
                    f"unexpected {type(error).__name__}: {one_line(error)} "
                    "(this is a bug; run again with LIFT_MEMORY_DEBUG=1 for the traceback)"
                )
            print_error(message)
            raise typer.Exit(getattr(error, "exit_code", EXIT_ERROR)) from None

    return wrapper  # type: ignore[return-value]
