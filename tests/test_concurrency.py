"""Other processes while `lift-memory ingest` runs (tiny model, one process per command).

An ingest is held mid-training (the phase hook's LIFT_MEMORY_PHASE_HOLD) with its memory's lock
taken, and meanwhile: `ls` and `ask` see the previous complete state; a second ingest into the
same memory is refused by the lock with a message naming the holder; an ingest into another
memory succeeds. Commands are forked from the crash harness's preloaded server (see
lift_memory_bench.crash_safety) so that each costs a fraction of a second instead of ~10 s imports.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lift_memory_bench import crash_safety

RUNNER = crash_safety.ForkRunner()
RUNNER.start_server()  # imports in the background while pytest collects and runs other tests

QUESTION = "Who keeps the lighthouse on Varrow Point?"
CONFIG = {**crash_safety.CONFIG, "stage1_epochs": 1, "stage2_epochs": 1}


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def error(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.startswith("error: ")]
        assert len(lines) == 1 and "Traceback" not in self.stderr, self.stderr
        return lines[0]


@dataclass
class Workspace:
    root: Path
    home: Path
    corpus: Path
    config: Path
    count: int = 0

    def start(
        self, *args: str, env: dict[str, str] | None = None
    ) -> tuple[crash_safety.Process, Path, Path]:
        self.count += 1
        out, err = self.root / f"cmd-{self.count}.out", self.root / f"cmd-{self.count}.err"
        process = RUNNER.start(["--home", str(self.home), *args], env or {}, out, err)
        return process, out, err

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        process, out, err = self.start(*args, env=env)
        code = process.wait(300)
        return Result(code, out.read_text(errors="replace"), err.read_text(errors="replace"))

    def ingest_args(self, name: str, *extra: str) -> list[str]:
        return [
            "ingest",
            str(self.corpus),
            "--name",
            name,
            "--model",
            "tiny-llama",
            "--config",
            str(self.config),
            "--no-rag",
            "--json",
            *extra,
        ]


@dataclass
class Held:
    """An ingest of memory 'busy' paused mid-training, holding the memory's lock."""

    process: crash_safety.Process
    phase_file: Path
    stdout: Path
    before: dict


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("concurrency")
    corpus = root / "lighthouse.txt"
    corpus.write_text(crash_safety.CORPUS, encoding="utf-8")
    config = root / "config.json"
    config.write_text(json.dumps(CONFIG), encoding="utf-8")
    space = Workspace(root, root / "home", corpus, config)
    made = space.run(*space.ingest_args("old"))
    assert made.code == 0, made.stderr
    return space


@pytest.fixture(scope="module")
def held(workspace: Workspace) -> Iterator[Held]:
    before = {
        "ls": json.loads(workspace.run("ls", "--json").stdout),
        "answer": json.loads(
            workspace.run("ask", "old", QUESTION, "--mode", "memory", "--json").stdout
        )["answer"],
    }
    phase_file = workspace.root / "busy.phases"
    env = {"LIFT_MEMORY_PHASE_FILE": str(phase_file), "LIFT_MEMORY_PHASE_HOLD": "train"}
    process, out, _err = workspace.start(*workspace.ingest_args("busy"), env=env)
    deadline = time.monotonic() + 120
    while "train" not in [m.phase for m in crash_safety.read_markers(phase_file)]:
        assert process.poll() is None, "the held ingest ended early"
        assert time.monotonic() < deadline, "the ingest never reached training"
        time.sleep(0.02)
    holder = Held(process, phase_file, out, before)
    try:
        yield holder
    finally:
        (phase_file.parent / f"{phase_file.name}.release").touch()
        process.wait(120)


def test_ls_and_ask_see_the_previous_complete_state_during_an_ingest(workspace, held) -> None:
    listing = workspace.run("ls", "--json")
    assert listing.code == 0, listing.stderr
    rows = {row["name"]: row for row in json.loads(listing.stdout)["memories"]}
    assert rows["old"] == next(r for r in held.before["ls"]["memories"] if r["name"] == "old")
    assert rows["busy"]["status"] == "incomplete"  # listed, never half-read or as a problem
    assert json.loads(listing.stdout)["problems"] == []

    asked = workspace.run("ask", "old", QUESTION, "--mode", "memory", "--json")
    assert asked.code == 0, asked.stderr
    assert json.loads(asked.stdout)["answer"] == held.before["answer"]

    busy = workspace.run("ask", "busy", QUESTION, "--mode", "memory")
    assert busy.code == 1
    assert f"memory 'busy' is being ingested by another process (pid {held.process.pid})" in (
        busy.error
    )


@pytest.mark.parametrize("flag", [None, "--resume", "--overwrite"])
def test_a_second_ingest_into_the_same_memory_is_refused_by_the_lock(workspace, held, flag) -> None:
    second = workspace.run(*workspace.ingest_args("busy", *([flag] if flag else [])))
    assert second.code == 1
    assert second.error == (
        f"error: memory 'busy' is being ingested by another process (pid {held.process.pid}); "
        "wait for it to finish or stop that process"
    )
    assert held.process.poll() is None  # the first one is unharmed


def test_an_ingest_into_another_memory_succeeds_meanwhile(workspace, held) -> None:
    other = workspace.run(*workspace.ingest_args("other"))
    assert other.code == 0, other.stderr
    assert json.loads(other.stdout)["status"] == "complete"
    assert held.process.poll() is None


def test_the_held_ingest_then_completes(workspace, held) -> None:
    (held.phase_file.parent / f"{held.phase_file.name}.release").touch()
    assert held.process.wait(120) == 0
    assert json.loads(held.stdout.read_text())["status"] == "complete"
    listing = json.loads(workspace.run("ls", "--json").stdout)
    assert {m["name"]: m["status"] for m in listing["memories"]} == {
        "busy": "complete",
        "old": "complete",
        "other": "complete",
    }
