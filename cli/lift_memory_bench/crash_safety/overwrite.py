"""Overwrite trials: replace a complete memory with `ingest --overwrite`, kill the re-ingest in
a chosen phase (any phase of an ingest, or the swap), and check that the memory is complete and
answering all along.

After the kill the memory must be exactly one of two: the previous one, byte for byte (its
manifest and adapter unchanged), or the new one, complete (the kill came after the swap). It
must load and answer like the uninterrupted ingest of its corpus. Then the re-ingest is
finished — ``--resume`` when a replacement is pending, ``--overwrite`` again when the kill came
before one was started — and the memory must equal an uninterrupted ingest of the new corpus,
with nothing left in the staging area.
"""

from __future__ import annotations

import dataclasses
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from lift_memory_bench.crash_safety.checks import leftovers
from lift_memory_bench.crash_safety.markers import classify, read_markers
from lift_memory_bench.crash_safety.targets import Profile, draw_target, kill_at
from lift_memory_bench.crash_safety.trials import ADAPTER_ATOL, Harness
from lift_memory_bench.crash_safety.workload import NEW_CORPUS

NEW_REFERENCE = "reference-new"


@dataclass
class OverwriteTrialResult:
    trial: int
    target: str
    killed: bool  # False: the command ended before the kill point (the trial proves nothing)
    phase_hit: str
    last_marker: str
    exit_code: int
    version_after_kill: str  # old | new | what was wrong
    answers_after_kill_ok: bool
    store_problems: list[str]
    finished_with: str  # resume | overwrite | - (the kill came after the swap)
    finish_exit_code: int | None
    state_after_finish: str
    adapter_max_abs_diff: float | None
    answers_equal: bool | None
    leftovers_after_finish: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def ok(self) -> bool:
        return (
            self.killed
            and self.version_after_kill in ("old", "new")
            and self.answers_after_kill_ok
            and not self.store_problems
            and self.state_after_finish.startswith("complete")
            and bool(self.answers_equal)
            and (self.adapter_max_abs_diff or 0.0) <= ADAPTER_ATOL
            and not self.leftovers_after_finish
        )


class OverwriteTrials:
    """Overwrite trials on a :class:`Harness` (its store, runner and old-corpus reference)."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.corpus = harness.work / "ferry.txt"
        self.corpus.write_text(NEW_CORPUS, encoding="utf-8")
        self.profile: Profile | None = None
        self.tensors: dict[str, Any] = {}
        self.answers: list[str] = []
        self.swaps = 0

    def args(self, name: str, *extra: str) -> list[str]:
        """`ingest` of the new corpus (the harness's arguments, with the corpus swapped)."""
        argv = self.harness.ingest_args(name, *extra)
        argv[argv.index(str(self.harness.corpus))] = str(self.corpus)
        return argv

    def build_reference(self) -> Profile:
        """The uninterrupted ingest of the new corpus: what every replacement must equal."""
        harness = self.harness
        phase_file = harness.work / f"{NEW_REFERENCE}.phases"
        started = time.time()
        extra = [] if harness.rag == "always" else ["--no-rag"]
        code, _out, err = harness.run(
            self.args(NEW_REFERENCE, *extra),
            NEW_REFERENCE,
            {
                "LIFT_MEMORY_PHASE_FILE": str(phase_file),
                "LIFT_MEMORY_PHASE_DELAY": str(harness.delay),
            },
        )
        if code != 0:
            raise RuntimeError(f"new reference ingest failed ({code}): {err[-2000:]}")
        self.profile = Profile.of(read_markers(phase_file), started)
        checker = harness.checker
        self.tensors, _ = checker.store.load_adapter(NEW_REFERENCE, checker.loaded.fingerprint)
        self.answers = checker.answers(NEW_REFERENCE)
        return self.profile

    def _version(self, name: str, old_digest: str) -> tuple[str, bool]:
        """(old | new | what is wrong, whether it answers like the ingest of its corpus)."""
        checker = self.harness.checker
        try:
            state = checker.state(name)
        except Exception as error:  # noqa: BLE001 - reported, the trial fails
            return f"unreadable: {error}", False
        if not state.startswith("complete"):
            return f"{state} (the memory must stay complete)", False
        if checker.snapshot().get(name) == old_digest:
            return "old", checker.answers(name) == checker.reference_answers
        diff = checker.adapter_difference(name, self.tensors)
        if diff > ADAPTER_ATOL:
            return f"changed (adapter differs from both by {diff:.2e})", False
        return "new", checker.answers(name) == self.answers

    def trial(
        self, index: int, phase: str, *, after_exchange: bool | None = None
    ) -> OverwriteTrialResult:
        """One overwrite trial; a swap kill lands before or after the exchange of the folders
        as ``after_exchange`` says (None: in turn)."""
        assert self.profile is not None, "build_reference() first"
        harness = self.harness
        checker = harness.checker
        name = f"overwrite-{index:02d}"
        extra = [] if (harness.rag == "always" or phase == "chroma") else ["--no-rag"]
        code, _out, err = harness.run(harness.ingest_args(name, *extra), f"{name}-old")
        if code != 0:
            raise RuntimeError(f"ingest of the previous memory failed ({code}): {err[-2000:]}")
        before = checker.snapshot()
        old_digest = before[name]

        target = draw_target(phase, harness.rng, self.profile, harness.delay)
        if phase == "swap":  # both sides of the exchange, not as the dice fall
            later = self.swaps % 2 == 1 if after_exchange is None else after_exchange
            target = dataclasses.replace(target, offset=int(later))
            self.swaps += 1
        phase_file = harness.work / f"{name}.phases"
        env = {
            "LIFT_MEMORY_PHASE_FILE": str(phase_file),
            "LIFT_MEMORY_PHASE_DELAY": str(harness.delay),
        }
        out, err_file = harness.work / f"{name}.out", harness.work / f"{name}.err"
        started = time.time()
        process = harness.runner.start(self.args(name, "--overwrite", *extra), env, out, err_file)
        killed = kill_at(process, phase_file, target, started, signal.SIGKILL, timeout=300)
        killed_at = time.time()
        exit_code = process.wait(120)
        at_kill = [m for m in read_markers(phase_file) if m.time <= killed_at]

        version, answers_ok = self._version(name, old_digest)
        others = {k: v for k, v in before.items() if k != name}
        problems = checker.problems(others)

        finished_with, finish_code, message = "-", None, ""
        if version == "old":
            pending = (harness.home / ".staging" / name / "memories" / name).is_dir()
            finished_with = "resume" if pending else "overwrite"
            finish_code, _finish_out, finish_err = harness.run(
                self.args(name, f"--{finished_with}", *extra), f"{name}-{finished_with}"
            )
            if finish_code != 0 and finish_err.strip():
                message = finish_err.strip().splitlines()[-1]
        else:
            # killed after the swap: the previous memory may still sit in the staging area,
            # invisible, until the next ingest or rm of this memory sweeps it (as here)
            checker.store.remove_leftovers(name)
        after, diff, equal = "unreadable", None, None
        try:
            after = checker.state(name)
            if after.startswith("complete"):
                diff = checker.adapter_difference(name, self.tensors)
                equal = checker.answers(name) == self.answers
        except Exception as error:  # noqa: BLE001 - reported, the trial fails
            message = message or str(error)
        result = OverwriteTrialResult(
            trial=index,
            target=phase,
            killed=killed,
            phase_hit=classify(at_kill),
            last_marker=at_kill[-1].phase if at_kill else "(none)",
            exit_code=exit_code,
            version_after_kill=version,
            answers_after_kill_ok=answers_ok,
            store_problems=problems,
            finished_with=finished_with,
            finish_exit_code=finish_code,
            state_after_finish=after,
            adapter_max_abs_diff=diff,
            answers_equal=equal,
            leftovers_after_finish=leftovers(harness.home),
            message=message,
        )
        harness.log(
            f"overwrite {index:2d} target={phase:10s} hit={result.phase_hit:10s} "
            f"({result.last_marker}) after-kill={version} answers-ok={answers_ok} "
            f"finish={finished_with}:{finish_code} diff={diff} answers-equal={equal} "
            f"{'OK' if result.ok else 'FAILED'}"
        )
        return result
