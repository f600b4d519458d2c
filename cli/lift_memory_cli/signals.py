"""SIGTERM ends a writing command the way Ctrl-C does: ``KeyboardInterrupt``, cleanup, exit 130.

Python's default SIGTERM action kills the process on the spot, skipping ``finally`` blocks (temp
files of atomic writes stay behind, progress bars are left half-drawn, no resume hint is printed).
During training the engine replaces this handler with a graceful one (checkpoint, then stop; see
``lift_memory.interrupts``). Only for commands that write (``ingest``): ``serve`` leaves SIGTERM
to uvicorn, which shuts down and then re-raises it expecting the default action.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, TypeVar

__all__ = ["sigterm_as_interrupt", "sigterm_interrupts"]

F = TypeVar("F", bound=Callable[..., Any])


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt("terminated (SIGTERM)")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While active, SIGTERM raises KeyboardInterrupt (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def sigterm_interrupts(function: F) -> F:
    """Decorate a command so that SIGTERM interrupts it like Ctrl-C (put it under ``@command``)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with sigterm_as_interrupt():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
