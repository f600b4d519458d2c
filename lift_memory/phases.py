"""Phase markers: a test hook that lets a crash test kill an ingest inside each phase.

Off (a dictionary lookup) unless ``LIFT_MEMORY_PHASE_FILE`` names a file. Then every marked
phase appends one line ``<pid> <unix time> <phase>`` to that file, and

- ``LIFT_MEMORY_PHASE_DELAY`` (seconds) is slept after each marker, widening the window in which a
  kill lands inside that phase;
- ``LIFT_MEMORY_PHASE_HOLD`` names a phase at whose first marker the process waits until the file
  ``<phase file>.release`` exists (for deterministic concurrency tests: an ingest that holds its
  lock mid-training for as long as the test needs).

Phases marked by the engine and the CLI (see ``benchmarks/crash_safety.py``): ``prepare``,
``train`` (each optimizer step), ``commit``, ``chroma``, ``finish``, and around every atomic
write ``write:<file>`` (before the temporary file is written) and ``rename:<file>`` (written and
fsynced, not yet renamed into place).
"""

from __future__ import annotations

import os
import time

__all__ = ["PHASE_DELAY_ENV", "PHASE_FILE_ENV", "PHASE_HOLD_ENV", "mark"]

PHASE_FILE_ENV = "LIFT_MEMORY_PHASE_FILE"
PHASE_DELAY_ENV = "LIFT_MEMORY_PHASE_DELAY"
PHASE_HOLD_ENV = "LIFT_MEMORY_PHASE_HOLD"
_HOLD_TIMEOUT_S = 300.0

_held: set[str] = set()


def mark(phase: str) -> None:
    """Record that this process enters ``phase`` (a no-op unless the hook is switched on)."""
    path = os.environ.get(PHASE_FILE_ENV)
    if not path:
        return
    # One short write per line on an O_APPEND file: lines of several processes never interleave.
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()} {time.time():.6f} {phase}\n")
        handle.flush()
    if os.environ.get(PHASE_HOLD_ENV) == phase and phase not in _held:
        _held.add(phase)
        release = f"{path}.release"
        deadline = time.monotonic() + _HOLD_TIMEOUT_S
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.02)
    delay = float(os.environ.get(PHASE_DELAY_ENV) or 0.0)
    if delay > 0:
        time.sleep(delay)
