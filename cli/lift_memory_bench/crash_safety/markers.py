"""The phase file a command writes (``lift_memory.phases``: ``LIFT_MEMORY_PHASE_FILE``): one
``<pid> <time> <phase>`` line per phase and atomic write, read back as markers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Marker:
    time: float
    phase: str


def read_markers(path: Path) -> list[Marker]:
    """Markers of the phase file (``<pid> <time> <phase>`` lines); a torn last line is dropped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    markers = []
    for line in lines:
        parts = line.split(" ", 2)
        if len(parts) == 3:
            try:
                markers.append(Marker(float(parts[1]), parts[2]))
            except ValueError:
                continue
    return markers


def classify(markers: Sequence[Marker]) -> str:
    """The phase a process was in when it died: its last marker, read as a phase."""
    if not markers:
        return "startup"
    last = markers[-1].phase
    if last.endswith(":checkpoint.safetensors"):
        return "checkpoint"
    for marker in reversed(markers):
        if marker.phase in ("prepare", "train", "commit", "chroma"):
            return marker.phase
        if marker.phase.startswith("swap"):  # swap, swap:exchanged (`ingest --overwrite`)
            return "swap"
        if marker.phase == "finish":
            return "finished"
    return "startup"
