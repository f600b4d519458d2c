"""Stopping a long job cleanly on SIGINT (Ctrl-C) or SIGTERM (``kill``, a scheduler, systemd).

The default reactions are poor for training: SIGINT raises ``KeyboardInterrupt`` wherever the
interpreter happens to be (after the last checkpoint, losing the steps since), and SIGTERM ends
the process on the spot. While :func:`stop_on_signals` is active the first signal only asks the
job to stop (the trainer then saves a checkpoint at the next step boundary and raises
``KeyboardInterrupt``); a second signal interrupts at once, for a user who will not wait.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = ["STOP_SIGNALS", "stop_on_signals"]

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_on_signals(request_stop: Callable[[], None]) -> Iterator[None]:
    """Call ``request_stop`` on the first SIGINT/SIGTERM; raise KeyboardInterrupt on a second.

    Previous handlers come back on exit. Outside the main thread (where Python cannot install
    signal handlers, e.g. a background consolidation) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    asked: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        if asked:
            raise KeyboardInterrupt(f"interrupted by {signal.Signals(signum).name}")
        asked.append(signum)
        request_stop()

    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            # None: a handler installed from C; the default is the closest we can restore.
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
