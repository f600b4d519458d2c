"""One trial: start an ingest, kill it at a chosen point, check the store, resume, and compare
with the uninterrupted reference memory."""

from __future__ import annotations

import contextlib
import json
import random
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lift_memory_bench.crash_safety.checks import Checker, leftovers
from lift_memory_bench.crash_safety.markers import classify, read_markers
from lift_memory_bench.crash_safety.runners import ExecRunner, ForkRunner
from lift_memory_bench.crash_safety.targets import Profile, draw_target, kill_at
from lift_memory_bench.crash_safety.workload import CONFIG, CORPUS

REFERENCE = "reference"
ADAPTER_ATOL = 1e-5


@dataclass
class TrialResult:
    trial: int
    signal: str
    killed: bool  # False: the command ended before the kill point (the trial proves nothing)
    target: str
    phase_hit: str
    last_marker: str
    killed_at_s: float
    exit_code: int
    state_after_kill: str
    temp_files_after_kill: int
    store_problems: list[str]
    resume_needed: bool
    resume_exit_code: int | None
    resumed_from_step: int | None
    state_after_resume: str
    leftovers_after_resume: list[str]
    adapter_max_abs_diff: float | None
    answers_equal: bool | None
    checkpoint_step: int | None = None
    train_steps_done: int | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        completed = self.state_after_resume in ("complete", "complete+rag")
        same = bool(self.answers_equal) and (self.adapter_max_abs_diff or 0.0) <= ADAPTER_ATOL
        return (
            self.killed
            and completed
            and same
            and not self.store_problems
            and not self.leftovers_after_resume
        )


class Harness:
    """A store with a reference memory, a runner, and trials against them."""

    def __init__(
        self,
        work: Path,
        runner: ExecRunner | ForkRunner,
        *,
        seed: int = 0,
        delay: float = 0.1,
        rag: str = "always",
        config: dict[str, Any] | None = None,
        log: Any = None,
    ) -> None:
        self.work = work
        # "always": every ingest builds its RAG arm (as users do); "chroma": only the trials
        # aimed at the Chroma phase (quicker: no embedding model load in the others)
        self.rag = rag
        self.home = work / "home"
        self.runner = runner
        self.rng = random.Random(seed)
        self.delay = delay
        self.log = log or (lambda _message: None)
        work.mkdir(parents=True, exist_ok=True)
        self.corpus = work / "lighthouse.txt"
        self.corpus.write_text(CORPUS, encoding="utf-8")
        self.config = work / "config.json"
        self.config.write_text(json.dumps(config or CONFIG), encoding="utf-8")
        self.checker = Checker(self.home)
        self.profile: Profile | None = None

    def ingest_args(self, name: str, *extra: str) -> list[str]:
        return [
            "--home",
            str(self.home),
            "ingest",
            str(self.corpus),
            "--name",
            name,
            "--model",
            "tiny-llama",
            "--config",
            str(self.config),
            "--json",
            *extra,
        ]

    def run(
        self, argv: Sequence[str], stem: str, env: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        out, err = self.work / f"{stem}.out", self.work / f"{stem}.err"
        code = self.runner.start(argv, env or {}, out, err).wait(600)
        return code, out.read_text(errors="replace"), err.read_text(errors="replace")

    def build_reference(self) -> Profile:
        """The uninterrupted ingest every trial is compared with (and aimed by)."""
        self.run(["--version"], "warm-up")  # the fork runner's server imports everything once
        phase_file = self.work / f"{REFERENCE}.phases"
        started = time.time()
        code, _out, err = self.run(
            self.ingest_args(REFERENCE, *([] if self.rag == "always" else ["--no-rag"])),
            REFERENCE,
            {"LIFT_MEMORY_PHASE_FILE": str(phase_file), "LIFT_MEMORY_PHASE_DELAY": str(self.delay)},
        )
        if code != 0:
            raise RuntimeError(f"reference ingest failed ({code}): {err[-2000:]}")
        self.profile = Profile.of(read_markers(phase_file), started)
        self.checker.set_reference(REFERENCE)
        self.log(f"reference memory built; {self.profile}")
        return self.profile

    def trial(self, index: int, phase: str, sig: int = signal.SIGKILL) -> TrialResult:
        assert self.profile is not None, "build_reference() first"
        rag = sig == signal.SIGKILL and (self.rag == "always" or phase == "chroma")
        name = f"trial-{index:02d}"
        graceful = sig != signal.SIGKILL
        target = draw_target(phase, self.rng, self.profile, self.delay, graceful=graceful)
        phase_file = self.work / f"{name}.phases"
        before = self.checker.snapshot()
        extra = [] if rag else ["--no-rag"]
        env = {
            "LIFT_MEMORY_PHASE_FILE": str(phase_file),
            "LIFT_MEMORY_PHASE_DELAY": str(self.delay),
        }
        out, err = self.work / f"{name}.out", self.work / f"{name}.err"
        started = time.time()
        process = self.runner.start(self.ingest_args(name, *extra), env, out, err)
        killed = kill_at(process, phase_file, target, started, sig, timeout=300)
        killed_at = time.time()
        exit_code = process.wait(120)
        markers = read_markers(phase_file)
        # where the signal found it (a SIGTERM/SIGINT is followed by the stop's own markers)
        at_kill = [m for m in markers if m.time <= killed_at]
        stderr = err.read_text(errors="replace")
        temp_after_kill = len([p for p in leftovers(self.home, name) if p.endswith(".tmp")])

        problems = self.checker.problems(before)
        try:
            state = self.checker.state(name)
        except Exception as error:
            problems.append(f"{name}: {error}")
            state = "unreadable"
        checkpoint_step = self._checkpoint_step(name) if sig != signal.SIGKILL else None

        resume_needed = state != "complete+rag" if rag else state != "complete"
        resume_code: int | None = None
        resumed_from: int | None = None
        message = ""
        if resume_needed:
            resume_code, resume_out, resume_err = self.run(
                self.ingest_args(name, "--resume", *extra), f"{name}-resume"
            )
            if resume_code == 0:
                resumed_from = json.loads(resume_out).get("resumed_from_step")
            else:
                message = resume_err.strip().splitlines()[-1] if resume_err.strip() else ""
        after = "unreadable"
        with contextlib.suppress(Exception):  # unreadable: reported as such
            after = self.checker.state(name)
        diff = answers_equal = None
        if after.startswith("complete"):
            diff = self.checker.adapter_difference(name)
            answers_equal = self.checker.answers(name) == self.checker.reference_answers
        if sig != signal.SIGKILL:
            message = next(
                (line for line in stderr.splitlines() if line.startswith("error: ")), message
            )
        result = TrialResult(
            trial=index,
            signal=signal.Signals(sig).name,
            killed=killed,
            target=phase,
            phase_hit=classify(at_kill),
            last_marker=at_kill[-1].phase if at_kill else "(none)",
            killed_at_s=round(killed_at - started, 3),
            exit_code=exit_code,
            state_after_kill=state,
            temp_files_after_kill=temp_after_kill,
            store_problems=problems,
            resume_needed=resume_needed,
            resume_exit_code=resume_code,
            resumed_from_step=resumed_from,
            state_after_resume=after,
            leftovers_after_resume=leftovers(self.home),
            adapter_max_abs_diff=diff,
            answers_equal=answers_equal,
            checkpoint_step=checkpoint_step,
            train_steps_done=[m.phase for m in markers].count("train"),
            message=message,
        )
        self.log(
            f"trial {index:2d} {result.signal:7s} target={phase:10s} hit={result.phase_hit:10s} "
            f"({result.last_marker}) after-kill={state:12s} resume={resume_code} "
            f"from-step={resumed_from} diff={diff} answers-equal={answers_equal} "
            f"{'OK' if result.ok else 'FAILED'}"
        )
        return result

    def _checkpoint_step(self, name: str) -> int | None:
        path = self.home / "memories" / name / "checkpoints" / "checkpoint.safetensors"
        if not path.exists():
            return None
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            return int(handle.metadata()["step"])
