"""Where to kill a command: a random point in a chosen phase, aimed by the markers of an
uninterrupted ingest, and the wait-then-signal that hits it."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lift_memory_bench.crash_safety.markers import Marker, read_markers
from lift_memory_bench.crash_safety.runners import Process

PHASES = ("startup", "prepare", "train", "checkpoint", "commit", "chroma", "swap")
# The SIGKILL trials cycle through these; the first four are what a crash most often hits.
DEFAULT_TARGETS = ("train", "checkpoint", "commit", "chroma", "prepare", "startup")
# `ingest --overwrite` builds the new memory beside the old one, then swaps them: every phase
# of an ingest, plus the swap.
OVERWRITE_TARGETS = ("swap", "train", "checkpoint", "commit", "chroma", "prepare", "startup")


@dataclass(frozen=True)
class Profile:
    """What an uninterrupted ingest looks like, to aim kills at: marker counts and durations."""

    startup_s: float
    train_steps: int
    checkpoints: int
    prepare_markers: int
    chroma_s: float

    @classmethod
    def of(cls, markers: Sequence[Marker], started: float) -> Profile:
        phases = [m.phase for m in markers]
        first_train = phases.index("train")
        chroma_s = 1.0  # a reference built without the RAG arm: a typical duration
        if "chroma" in phases:
            chroma = phases.index("chroma")
            chroma_s = max(0.1, markers[chroma + 1].time - markers[chroma].time)
        return cls(
            startup_s=max(0.2, markers[0].time - started),
            train_steps=phases.count("train"),
            checkpoints=phases.count("write:checkpoint.safetensors"),
            prepare_markers=first_train - phases.index("prepare"),
            chroma_s=chroma_s,
        )


@dataclass(frozen=True)
class Target:
    """Kill ``jitter_s`` after the marker ``offset`` places after the n-th ``anchor``."""

    phase: str
    anchor: str | None
    occurrence: int
    offset: int
    jitter_s: float


def draw_target(
    phase: str, rng: random.Random, profile: Profile, delay: float, *, graceful: bool = False
) -> Target:
    """A random kill point in ``phase``; ``graceful`` (SIGTERM/SIGINT) avoids the last steps,
    where the run would finish before it could stop."""
    if phase == "startup":
        return Target(phase, None, 0, 0, rng.uniform(0.05, 0.9 * profile.startup_s))
    if phase == "prepare":
        offset = rng.randrange(profile.prepare_markers)
        return Target(phase, "prepare", 1, offset, rng.uniform(0, 0.8 * delay))
    if phase == "train":
        last = max(1, profile.train_steps - 2) if graceful else profile.train_steps
        return Target(phase, "train", rng.randint(1, last), 0, rng.uniform(0, 0.8 * delay))
    if phase == "checkpoint":
        occurrence = rng.randint(1, profile.checkpoints)
        # offset 0: while the temp file is written; 1: written, fsynced, not yet renamed
        return Target(
            phase,
            "write:checkpoint.safetensors",
            occurrence,
            rng.randint(0, 1),
            0.8 * delay * rng.random(),
        )
    if phase == "commit":
        # commit, write:adapter, rename:adapter, write:manifest, rename:manifest
        return Target(phase, "commit", 1, rng.randint(0, 4), rng.uniform(0, 0.8 * delay))
    if phase == "chroma":
        if rng.random() < 0.75:  # inside Chroma's own writes (embedding, sqlite, HNSW files)
            return Target(phase, "chroma", 1, 0, rng.uniform(0, 0.9 * profile.chroma_s))
        return Target(phase, "chroma", 1, rng.randint(1, 2), rng.uniform(0, 0.8 * delay))
    if phase == "swap":
        # offset 0: before the exchange; 1: exchanged, the previous memory not yet deleted
        return Target(phase, "swap", 1, rng.randint(0, 1), rng.uniform(0, 0.8 * delay))
    raise ValueError(f"unknown phase {phase!r}; choose from {', '.join(PHASES)}")


def _target_reached(markers: Sequence[Marker], target: Target) -> bool:
    seen = 0
    for index, marker in enumerate(markers):
        if marker.phase == target.anchor:
            seen += 1
            if seen == target.occurrence:
                return index + target.offset < len(markers)
    return False


def kill_at(
    process: Process, phase_file: Path, target: Target, started: float, sig: int, timeout: float
) -> bool:
    """Wait for ``target`` and send ``sig``; False if the command ended before it was reached."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if target.anchor is None:
            if time.time() - started >= target.jitter_s:
                process.send_signal(sig)
                return True
        elif _target_reached(read_markers(phase_file), target):
            time.sleep(target.jitter_s)
            process.send_signal(sig)
            return True
        time.sleep(0.003)
    process.send_signal(signal.SIGKILL)
    return True
