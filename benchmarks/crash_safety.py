#!/usr/bin/env python
"""Crash-safety harness: kill `lift-memory ingest` in every phase, then check nothing was lost.

Each trial starts ``lift-memory ingest`` (tiny random model, ``--model tiny-llama``, its own
temporary ``LIFT_MEMORY_HOME``) and kills it with SIGKILL at a random point in a chosen phase:

    startup (imports, model load) · prepare (manifest, corpus, QA, retention) · train (optimizer
    steps) · checkpoint (writing checkpoint.safetensors) · commit (adapter + complete manifest)
    · chroma (building the RAG arm)

The phase hook of ``lift_memory.phases`` (``LIFT_MEMORY_PHASE_FILE`` / ``_DELAY``) makes the
process write a marker at each phase and atomic write and sleep a little after it; the harness
kills after a random marker of the chosen phase plus a random delay, and reports the phase the
process was really in (its last marker). After each kill it checks that

- every memory in the store is either complete and loadable (checksummed adapter, manifest) or
  marked incomplete, and memories that were complete before the trial are byte-for-byte intact;
- ``lift-memory ingest ... --resume`` completes the killed memory;
- the resumed memory equals an uninterrupted one: adapter tensors within 1e-5 and the same greedy
  answers to a few questions;
- no temp file or staging directory is left behind after the resume.

Signal trials send SIGTERM and SIGINT during training instead: the command must exit with 130
and a one-line "interrupted ... --resume" message, after saving a checkpoint at the step it was
on, and the resume must continue from that step.

Run (the report in docs/reliability.md was made with this command):

    .venv/bin/python benchmarks/crash_safety.py --trials 24 --seed 7

``--runner exec`` (default) runs the installed console script; ``--runner fork`` forks the
command from a pre-imported server process (multiprocessing's forkserver) instead, which skips
~10 s of imports per process: the quick mode the test suite uses.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("startup", "prepare", "train", "checkpoint", "commit", "chroma")
# The SIGKILL trials cycle through these; the first four are what a crash most often hits.
DEFAULT_TARGETS = ("train", "checkpoint", "commit", "chroma", "prepare", "startup")
CONFIG = {
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 1,
    "stage2_epochs": 2,
    "qa_count": 4,
    "qa_generator": "cloze",
    "retention_samples": 2,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
    "checkpoint_every_steps": 3,
}
CORPUS = (
    "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk. "
    "Her brother Tomas repairs the fishing boats in the harbour of Kelby. "
    "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889. "
    "The keeper's log records 412 ships guided past the reef in the first year.\n"
)
QUESTIONS = (
    "Who keeps the lighthouse on Varrow Point?",
    "Where did the new lens come from?",
    "How many ships were guided past the reef?",
)
REFERENCE = "reference"
ADAPTER_ATOL = 1e-5
# Modules the fork runner imports once, before forking each command.
PRELOAD = [
    "torch",
    "transformers",
    "lift_memory",
    "lift_memory.tiny",
    "lift_memory_cli.app",
    "lift_memory_cli.ingest",
    "lift_memory_cli.ask",
    "llama_index.core",
    "llama_index.memory.lift",
]


# --------------------------------------------------------------------------- running commands


def command_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a command: offline, one thread, none of the caller's LIFT_MEMORY_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFT_MEMORY_")}
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": "1",  # same float arithmetic in every run (and a fair share of CPU)
            "COLUMNS": "200",
        }
    )
    env.update(extra or {})
    return env


class Process:
    """A started command: pid, poll, wait, signal (same face for both runners)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    @property
    def pid(self) -> int:
        return int(self.handle.pid)

    def poll(self) -> int | None:
        if isinstance(self.handle, subprocess.Popen):
            return self.handle.poll()
        return None if self.handle.is_alive() else self.handle.exitcode

    def wait(self, timeout: float) -> int:
        if isinstance(self.handle, subprocess.Popen):
            try:
                return self.handle.wait(timeout)
            except subprocess.TimeoutExpired:
                self.handle.kill()
                return self.handle.wait()
        self.handle.join(timeout)
        if self.handle.is_alive():
            self.handle.kill()
            self.handle.join()
        return int(self.handle.exitcode)

    def send_signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(self.pid, sig)


class ExecRunner:
    """Runs the installed ``lift-memory`` console script as a subprocess."""

    name = "exec"

    def __init__(self, script: Path | None = None) -> None:
        found = script or Path(sys.executable).with_name("lift-memory")
        if not found.exists():
            found = Path(shutil.which("lift-memory") or found)
        self.script = found

    def start(self, argv: Sequence[str], env: dict[str, str], out: Path, err: Path) -> Process:
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            handle = subprocess.Popen(
                [str(self.script), *argv],
                env=command_env(env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                cwd=str(ROOT),
            )
        return Process(handle)


def _cli_child(argv: list[str], env: dict[str, str], out: str, err: str) -> None:
    """Body of a forked command: the console script's ``main`` with argv, env and redirections."""
    for key in [k for k in os.environ if k.startswith("LIFT_MEMORY_")]:
        del os.environ[key]
    os.environ.update(command_env(env))
    for path, fd in ((out, 1), (err, 2)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)
    import torch

    torch.set_num_threads(1)
    sys.argv = ["lift-memory", *argv]
    from lift_memory_cli.app import main

    main()  # exits through SystemExit with the command's code


class ForkRunner:
    """Forks each command from a forkserver that imported torch, transformers and the CLI once."""

    name = "fork"
    _context: Any = None

    def __init__(self) -> None:
        if ForkRunner._context is None:
            os.environ.setdefault("OMP_NUM_THREADS", "1")  # read by torch in the server
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([*PRELOAD, __name__])
            ForkRunner._context = context

    def start_server(self) -> None:
        """Start the server now: it imports in the background and the first command waits."""
        from multiprocessing import forkserver

        forkserver.ensure_running()

    def start(self, argv: Sequence[str], env: dict[str, str], out: Path, err: Path) -> Process:
        handle = self._context.Process(
            target=_cli_child, args=(list(argv), dict(env), str(out), str(err)), daemon=False
        )
        handle.start()
        return Process(handle)


def make_runner(name: str) -> ExecRunner | ForkRunner:
    return ForkRunner() if name == "fork" else ExecRunner()


# --------------------------------------------------------------------------- phase markers


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
        if marker.phase == "finish":
            return "finished"
    return "startup"


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


# --------------------------------------------------------------------------- store checks


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(home: Path, memory: str | None = None) -> list[str]:
    """Temp files, staging/tombstone directories and checkpoints of complete memories, in the
    store (or in one memory's directory)."""
    root = home / "memories" / memory if memory else home / "memories"
    found = []
    for path in root.rglob("*"):
        name = path.name
        litter = name.endswith(".tmp") or name.startswith((".staging-", ".deleted-"))
        stale = name == "checkpoints" and '"complete"' in _read(path.parent / "manifest.json")
        if litter or stale:
            found.append(str(path.relative_to(home)))
    return sorted(found)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


@dataclass
class Checker:
    """Loads memories in this process (tiny model) to compare them with the reference."""

    home: Path
    loaded: Any = None
    reference_tensors: dict[str, Any] = field(default_factory=dict)
    reference_answers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        import torch

        from lift_memory.store import MemoryStore
        from lift_memory.tiny import tiny_model

        torch.set_num_threads(1)
        self.store = MemoryStore(self.home)
        self.loaded = tiny_model("llama")

    def answers(self, name: str) -> list[str]:
        from lift_memory.memory import LiftMemory

        memory = LiftMemory.load(name, store=self.store, model=self.loaded)
        try:
            return [memory.ask(q, max_new_tokens=16).text for q in QUESTIONS]
        finally:
            memory.detach()

    def set_reference(self, name: str) -> None:
        self.reference_tensors, _ = self.store.load_adapter(name, self.loaded.fingerprint)
        self.reference_answers = self.answers(name)

    def adapter_difference(self, name: str) -> float:
        tensors, _ = self.store.load_adapter(name, self.loaded.fingerprint)
        if tensors.keys() != self.reference_tensors.keys():
            return float("inf")
        return max(
            float((tensors[k].float() - self.reference_tensors[k].float()).abs().max())
            for k in tensors
        )

    def snapshot(self) -> dict[str, str]:
        """Digest of manifest + adapter of every complete memory."""
        digests = {}
        for manifest in self.store.list():
            if manifest.status == "complete":
                directory = self.store.path(manifest.name)
                digests[manifest.name] = file_digest(directory / "manifest.json") + file_digest(
                    directory / "adapter.safetensors"
                )
        return digests

    def state(self, name: str) -> str:
        """absent | incomplete | complete | complete+rag, after checking it loads if complete."""
        from lift_memory_cli.context import rag_info

        if not self.store.exists(name):
            return "absent"
        manifest = self.store.read_manifest(name)  # raises CorruptMemory: the check fails
        if manifest.status != "complete":
            return "incomplete"
        self.store.load_adapter(name, self.loaded.fingerprint)
        return "complete+rag" if rag_info(manifest) else "complete"

    def problems(self, before: dict[str, str]) -> list[str]:
        """What is wrong with the store: unreadable memories, changed or lost complete ones."""
        found = [f"{p.name}: {p.message}" for p in self.store.list_problems()]
        after = self.snapshot()
        for name, digest in before.items():
            if name not in after:
                found.append(f"{name}: was complete, now missing or incomplete")
            elif after[name] != digest:
                found.append(f"{name}: manifest or adapter changed")
            else:
                try:
                    self.store.load_adapter(name, self.loaded.fingerprint)
                except Exception as error:  # the check reports, never raises
                    found.append(f"{name}: does not load ({error})")
        return found


# --------------------------------------------------------------------------- trials


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


# --------------------------------------------------------------------------- report


def summarize(
    results: Sequence[TrialResult], signal_results: Sequence[TrialResult]
) -> dict[str, Any]:
    kills = list(results)
    lost = sum(1 for r in [*kills, *signal_results] if r.store_problems) + sum(
        1 for r in [*kills, *signal_results] if not r.state_after_resume.startswith("complete")
    )
    needed = [r for r in [*kills, *signal_results] if r.resume_needed]
    return {
        "sigkill_trials": len(kills),
        "phases_targeted": dict(Counter(r.target for r in kills)),
        "phases_hit": dict(Counter(r.phase_hit for r in kills)),
        "memories_lost": lost,
        "resumes_needed": len(needed),
        "resumes_completed": sum(1 for r in needed if r.resume_exit_code == 0),
        "answers_equal_to_uninterrupted": sum(
            1 for r in [*kills, *signal_results] if r.answers_equal
        ),
        "max_adapter_abs_diff": max(
            (r.adapter_max_abs_diff or 0.0 for r in [*kills, *signal_results]), default=0.0
        ),
        "leftovers_after_resume": sum(
            len(r.leftovers_after_resume) for r in [*kills, *signal_results]
        ),
        "signal_trials": [
            {
                "signal": r.signal,
                "exit_code": r.exit_code,
                "message": r.message,
                "checkpoint_step": r.checkpoint_step,
                "train_steps_done": r.train_steps_done,
                "resumed_from_step": r.resumed_from_step,
            }
            for r in signal_results
        ],
        "all_ok": all(r.ok for r in [*kills, *signal_results]),
    }


def markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        f"Command: `{report['command']}`  ",
        f"Runner: {report['runner']}, seed {report['seed']}, phase delay {report['delay_s']} s, "
        f"RAG arm: {report['rag']}, "
        f"{report['seconds']:.0f} s in all.",
        "",
        f"- SIGKILL trials: **{s['sigkill_trials']}**",
        f"- phases hit: {', '.join(f'{k} {v}' for k, v in sorted(s['phases_hit'].items()))}",
        f"- memories lost: **{s['memories_lost']}**",
        f"- resumes completed: **{s['resumes_completed']} / {s['resumes_needed']}** needed "
        f"(the others were already complete when killed)",
        f"- resumed memories answering like the uninterrupted one: "
        f"{s['answers_equal_to_uninterrupted']} / {len(report['trials'])}; largest adapter "
        f"difference {s['max_adapter_abs_diff']:.2e}",
        f"- temp files or staging directories left after resuming: {s['leftovers_after_resume']}",
        "",
        "| # | signal | target | phase hit (last marker) | state after kill | temp files | resume | from step | answers equal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in report["trials"]:
        resume = "-" if not t["resume_needed"] else f"exit {t['resume_exit_code']}"
        lines.append(
            f"| {t['trial']} | {t['signal']} | {t['target']} | {t['phase_hit']} "
            f"(`{t['last_marker']}`) | {t['state_after_kill']} | {t['temp_files_after_kill']} | "
            f"{resume} | {t['resumed_from_step'] if t['resumed_from_step'] is not None else '-'} | "
            f"{'yes' if t['answers_equal'] else 'NO'} |"
        )
    for t in s["signal_trials"]:
        lines.append("")
        lines.append(
            f"{t['signal']} during training: exit {t['exit_code']}, `{t['message']}`; checkpoint "
            f"at step {t['checkpoint_step']} after {t['train_steps_done']} steps, resumed from "
            f"step {t['resumed_from_step']}."
        )
    return "\n".join(lines) + "\n"


def run_all(
    trials: int,
    *,
    seed: int = 0,
    runner: str = "exec",
    targets: Sequence[str] = DEFAULT_TARGETS,
    signals: Sequence[str] = ("SIGTERM", "SIGINT"),
    delay: float = 0.1,
    rag: str = "always",
    config: dict[str, Any] | None = None,
    work: Path | None = None,
    log: Any = print,
    command: str = "",
) -> dict[str, Any]:
    """Build the reference, run the SIGKILL and signal trials; returns the report."""
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
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=24, help="SIGKILL trials (default 24)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runner", choices=("exec", "fork"), default="exec")
    parser.add_argument("--targets", default=",".join(DEFAULT_TARGETS), help="phases, cycled")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds slept per marker")
    parser.add_argument(
        "--rag",
        choices=("always", "chroma"),
        default="always",
        help="build the RAG arm in every ingest, or only in trials aimed at the Chroma phase",
    )
    parser.add_argument(
        "--signals", default="SIGTERM,SIGINT", help="graceful-stop trials during training"
    )
    parser.add_argument("--work", type=Path, default=None, help="work directory (kept)")
    parser.add_argument(
        "--report-dir", type=Path, default=ROOT / "reports" / "crash_safety", help="JSON + Markdown"
    )
    args = parser.parse_args(argv)
    if args.runner == "fork":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
    report = run_all(
        args.trials,
        seed=args.seed,
        runner=args.runner,
        targets=[t for t in args.targets.split(",") if t],
        signals=[s for s in args.signals.split(",") if s],
        delay=args.delay,
        rag=args.rag,
        work=args.work,
        command=" ".join(
            [".venv/bin/python", "benchmarks/crash_safety.py", *(argv or sys.argv[1:])]
        ),
    )
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.report_dir / "report.md").write_text(markdown(report))
    print(markdown(report))
    print(json.dumps(report["summary"], indent=2))
    return 0 if report["summary"]["all_ok"] and report["summary"]["memories_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
