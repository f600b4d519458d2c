"""SIGTERM ends a command the way Ctrl-C does: ``KeyboardInterrupt``, cleanup, exit code 130.

Python's default SIGTERM action kills the process on the spot, skipping ``finally`` blocks (temp
files of atomic writes stay behind, progress bars are left half-drawn, no resume hint is printed).
During training the engine replaces this handler with a graceful one (checkpoint, then stop; see
``lift_memory.interrupts``).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["sigterm_as_interrupt"]


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
