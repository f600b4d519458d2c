"""A whole crash-safety run: the reference ingest, the SIGKILL trials, the signal trials, and
the overwrite trials."""

from __future__ import annotations

import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lift_memory_bench.crash_safety.overwrite import OverwriteTrials
from lift_memory_bench.crash_safety.report import summarize, summarize_overwrites
from lift_memory_bench.crash_safety.runners import make_runner
from lift_memory_bench.crash_safety.targets import DEFAULT_TARGETS, OVERWRITE_TARGETS
from lift_memory_bench.crash_safety.trials import Harness


def run_all(
    trials: int,
    *,
    seed: int = 0,
    runner: str = "exec",
    targets: Sequence[str] = DEFAULT_TARGETS,
    signals: Sequence[str] = ("SIGTERM", "SIGINT"),
    overwrite_trials: int = 0,
    overwrite_targets: Sequence[str] = OVERWRITE_TARGETS,
    delay: float = 0.1,
    rag: str = "always",
    config: dict[str, Any] | None = None,
    work: Path | None = None,
    log: Any = print,
    command: str = "",
) -> dict[str, Any]:
    """Build the reference, run the SIGKILL, signal and overwrite trials; returns the report."""
    started = time.perf_counter()
    work = work or Path(tempfile.mkdtemp(prefix="lift-crash-"))
    harness = Harness(
        work, make_runner(runner), seed=seed, delay=delay, rag=rag, config=config, log=log
    )
    harness.build_reference()
    results = [harness.trial(i + 1, targets[i % len(targets)]) for i in range(trials)]
    signal_results = [
        harness.trial(trials + j + 1, "train", getattr(signal, name))
        for j, name in enumerate(signals)
    ]
    overwrites = []
    if overwrite_trials:
        trials_on = OverwriteTrials(harness)
        trials_on.build_reference()
        overwrites = [
            trials_on.trial(k + 1, overwrite_targets[k % len(overwrite_targets)])
            for k in range(overwrite_trials)
        ]
    return {
        "command": command,
        "runner": runner,
        "seed": seed,
        "delay_s": delay,
        "rag": rag,
        "work": str(work),
        "seconds": time.perf_counter() - started,
        "profile": asdict(harness.profile) if harness.profile else None,
        "summary": summarize(results, signal_results),
        "trials": [asdict(r) for r in [*results, *signal_results]],
        "overwrite_summary": summarize_overwrites(overwrites),
        "overwrite_trials": [asdict(r) for r in overwrites],
    }
