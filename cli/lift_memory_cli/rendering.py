"""Output: results on stdout (a table, an answer, or one JSON object), everything else —
progress, notes, warnings — on stderr, so `--json` output and answers pipe cleanly."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from contextlib import AbstractContextManager
from typing import Any

from rich.console import Console

from lift_memory_cli.core.json_values import jsonable


def _width(stderr: bool) -> int | None:
    # Piped output has no terminal width: rich's 80 columns crush the comparison tables.
    probe = Console(stderr=stderr)
    if probe.is_terminal or os.environ.get("COLUMNS"):
        return None
    return 120


def stdout_console() -> Console:
    return Console(highlight=False, width=_width(False))


def stderr_console() -> Console:
    """Progress, notes and details; plain lines never hard-wrap when not on a terminal."""
    probe = Console(stderr=True)
    return Console(
        stderr=True, highlight=False, width=_width(True), soft_wrap=not probe.is_terminal
    )


def print_json(value: Any) -> None:
    """One JSON document on stdout (indented, so still readable by a person)."""
    sys.stdout.write(json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def human_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def human_seconds(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def fmt_float(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def status(console: Console, message: str, *, show: bool) -> AbstractContextManager[Any]:
    """A spinner with ``message`` on ``console`` while the block runs (nothing if not ``show``)."""
    return console.status(message) if show else contextlib.nullcontext()
