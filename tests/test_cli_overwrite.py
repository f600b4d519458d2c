"""`lift-memory ingest --overwrite` builds the new memory beside the old one and swaps it in
when complete: the old memory answers all along, and an interrupted or failed re-ingest leaves
it as it was, with the new one resumable (`--resume`). SIGKILLs in every phase are in
tests/test_crash_safety.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from lift_memory_cli import progress
from lift_memory_cli.app import app
from typer.testing import CliRunner

from lift_memory.errors import LiftMemoryError
from lift_memory.store import MemoryStore

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
}
OLD = "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk."
NEW = "The ferry to Kelby leaves at seven; its captain is Ada Brisk, who sails it alone."
QUESTION = "Who keeps the lighthouse?"


def run(home: Path, *args: str):
    result = CliRunner().invoke(app, ["--home", str(home), *args])
    assert "Traceback" not in result.output
    return result


def ingest(home: Path, text: Path, *extra: str):
    return run(
        home,
        "ingest",
        str(text),
        "--name",
        "m",
        "--model",
        "tiny-llama",
        "--no-rag",
        "--config",
        json.dumps(CONFIG),
        "--json",
        *extra,
    )


def answer(home: Path) -> str:
    result = run(home, "ask", "m", QUESTION, "--mode", "memory", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["answer"]


def digest(home: Path) -> str:
    folder = MemoryStore(home).path("m")
    return "".join(
        hashlib.sha256((folder / f).read_bytes()).hexdigest()
        for f in ("manifest.json", "adapter.safetensors")
    )


@pytest.fixture
def texts(tmp_path) -> dict[str, Path]:
    (tmp_path / "old.txt").write_text(OLD)
    (tmp_path / "new.txt").write_text(NEW)
    return {"old": tmp_path / "old.txt", "new": tmp_path / "new.txt"}


@pytest.fixture
def home(tmp_path, texts) -> Path:
    home = tmp_path / "home"
    assert ingest(home, texts["old"]).exit_code == 0
    return home


def during_training(monkeypatch, action, stage: str = "segments") -> dict[str, Any]:
    """Run ``action()`` at the first training step of ``stage`` of the next ingest; its
    result is kept."""
    original = progress.Reporter.train
    seen: dict[str, Any] = {}

    def train(self, p):
        original(self, p)
        if "result" not in seen and p.stage == stage:
            seen["result"] = action()

    monkeypatch.setattr(progress.Reporter, "train", train)
    return seen


def test_the_old_memory_answers_until_the_new_one_is_swapped_in(home, texts, monkeypatch) -> None:
    before, old_digest = answer(home), digest(home)
    seen = during_training(monkeypatch, lambda: (answer(home), digest(home)))
    replaced = ingest(home, texts["new"], "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert seen["result"] == (before, old_digest)  # mid-training: the old memory, unchanged
    manifest = MemoryStore(home).read_manifest("m")
    assert manifest.status == "complete" and manifest.documents[0].source == str(texts["new"])
    assert json.loads(replaced.stdout)["path"] == str(MemoryStore(home).path("m"))
    assert not (home / ".staging").exists()  # the previous memory is gone with the swap


def test_an_interrupted_overwrite_keeps_the_old_memory_and_resumes(
    home, texts, monkeypatch
) -> None:
    before, old_digest = answer(home), digest(home)

    def interrupt() -> None:
        raise KeyboardInterrupt

    during_training(monkeypatch, interrupt, stage="segments+qa")  # after stage 1's checkpoint
    cut = ingest(home, texts["new"], "--overwrite")
    assert cut.exit_code == 130
    error = cut.stderr.strip().splitlines()[-1]
    assert "the new version of memory 'm' is incomplete (the previous one still answers)" in error
    assert error.endswith(
        f"lift-memory ingest {texts['new']} --name m --model tiny-llama --resume`"
    )
    assert digest(home) == old_digest and answer(home) == before
    listed = json.loads(run(home, "ls", "--json").stdout)["memories"]
    assert [(m["name"], m["status"]) for m in listed] == [("m", "complete")]

    monkeypatch.undo()
    resumed = ingest(home, texts["new"], "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["resumed_from_step"] > 0
    manifest = MemoryStore(home).read_manifest("m")
    assert manifest.status == "complete" and manifest.documents[0].source == str(texts["new"])
    assert not (home / ".staging").exists()


def test_a_failed_overwrite_keeps_the_old_memory_and_rm_removes_both(
    home, texts, monkeypatch
) -> None:
    before, old_digest = answer(home), digest(home)

    def fail() -> None:
        raise LiftMemoryError("the disk is full")

    during_training(monkeypatch, fail)
    failed = ingest(home, texts["new"], "--overwrite")
    assert failed.exit_code == 1 and "the disk is full" in failed.stderr
    assert digest(home) == old_digest and answer(home) == before
    assert (home / ".staging" / "m").is_dir()  # the new memory, resumable
    info = json.loads(run(home, "info", "m", "--json").stdout)
    assert info["status"] == "complete" and info["replacement"]["resume"].endswith("--resume")
    assert "a new version was left unfinished" in run(home, "info", "m").stdout
    monkeypatch.undo()
    # another --overwrite starts the new memory afresh; rm removes it with the memory
    assert run(home, "rm", "m", "--yes").exit_code == 0
    assert not MemoryStore(home).exists("m") and not (home / ".staging" / "m").exists()


def test_overwrite_of_a_missing_memory_is_a_plain_ingest(tmp_path, texts) -> None:
    home = tmp_path / "fresh"
    created = ingest(home, texts["new"], "--overwrite")
    assert created.exit_code == 0, created.output
    assert MemoryStore(home).read_manifest("m").status == "complete"
    assert not (home / ".staging").exists()
