"""The `lift-memory` commands in-process (Typer's CliRunner) on a tiny random model.

The real console script runs in tests/test_cli_entrypoint.py; here every option and output
shape is covered quickly. Answers of a tiny random model are noise: tests check structure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lift_memory_cli import progress
from lift_memory_cli.app import app
from typer.testing import CliRunner

from lift_memory.config import LiftConfig
from lift_memory.manifest import Manifest
from lift_memory.store import MemoryStore

TINY_CONFIG = {
    "adapter": "gated_memory",  # `ask --json` reports the gate statistics
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 1,
    "stage2_epochs": 1,
    "qa_count": 4,
    "qa_generator": "cloze",
    "retention_samples": 2,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
}
TEXT = (
    "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk. "
    "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889."
)


def run(home: Path, *args: str, input: str | None = None):
    result = CliRunner().invoke(app, ["--home", str(home), *args], input=input)
    assert "Traceback" not in result.output
    return result


def ingest_args(config: Path, *extra: str) -> list[str]:
    return ["--model", "tiny-llama", "--config", str(config), *extra]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli")
    (root / "notes.txt").write_text(TEXT)
    (root / "tiny.json").write_text(json.dumps(TINY_CONFIG))
    (root / "questions.jsonl").write_text(
        '{"question": "Who keeps the lighthouse?", "answer": "Ilse Marrick"}\n'
        "\n"
        '{"question": "Where did the new lens come from?", "answer": ["Glasgow", "Scotland"]}\n'
    )
    return {"root": root, "notes": root / "notes.txt", "config": root / "tiny.json"}


@pytest.fixture(scope="module")
def home(files) -> Path:
    """A store with memory 'notes' (tiny model, with its Chroma arm), built by the CLI."""
    home = files["root"] / "home"
    result = run(
        home,
        "ingest",
        str(files["notes"]),
        "--name",
        "notes",
        "--json",
        *ingest_args(files["config"], "--qa", "3"),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["name"] == "notes" and summary["status"] == "complete"
    return home


def test_ingest_json_summary_and_manifest(home, files) -> None:
    store = MemoryStore(home)
    manifest = store.read_manifest("notes")
    assert manifest.status == "complete"
    assert manifest.config["qa_count"] == 3  # --qa overrides the config file
    assert manifest.config["segment_length"] == 64
    assert manifest.documents[0].source == str(files["notes"])
    rag = manifest.extra["rag"]
    assert rag["collection"] == "lift-notes" and rag["chunks"] >= 1
    assert Path(rag["path"]) == store.chroma_dir("notes")


def test_ingest_json_has_no_progress_and_the_documented_keys(files, tmp_path) -> None:
    result = run(
        tmp_path,
        "ingest",
        str(files["notes"]),
        "--name",
        "n2",
        "--json",
        "--no-rag",
        *ingest_args(files["config"], "--epochs", "1", "--stage1-epochs", "0"),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "name",
        "status",
        "home",
        "path",
        "model",
        "documents",
        "corpus_tokens",
        "segments",
        "qa_count",
        "train_tokens",
        "tokens_per_s",
        "final_loss",
        "adapter_bytes",
        "seconds",
        "rag",
        "resumed_from_step",
    ):
        assert key in data, key
    assert data["rag"] is None and data["model"] == "tiny-llama"
    assert data["documents"][0]["tokens"] == len(TEXT.encode())  # byte tokenizer
    assert result.stderr == ""  # --json: no progress
    assert MemoryStore(tmp_path).read_manifest("n2").config["stage1_epochs"] == 0


def test_ingest_progress_lines_when_not_a_terminal(files, tmp_path) -> None:
    result = run(
        tmp_path,
        "ingest",
        str(files["notes"]),
        "--name",
        "p",
        "--no-rag",
        *ingest_args(files["config"]),
    )
    assert result.exit_code == 0, result.output
    assert "reading inputs" in result.stderr and "training the memory" in result.stderr
    assert "tok/s" in result.stderr and "loss" in result.stderr and "ETA" in result.stderr
    assert "memory 'p' is ready" in result.stdout


def test_ingest_from_stdin_without_rag(files, tmp_path) -> None:
    result = run(
        tmp_path,
        "ingest",
        "-",
        "--name",
        "piped",
        "--no-rag",
        "--json",
        *ingest_args(files["config"]),
        input=TEXT,
    )
    assert result.exit_code == 0, result.output
    manifest = MemoryStore(tmp_path).read_manifest("piped")
    assert manifest.documents[0].source == "<stdin>" and "rag" not in manifest.extra
    asked = run(tmp_path, "ask", "piped", "Who keeps it?", "--mode", "rag")
    assert asked.exit_code == 1
    assert "has no retrieval arm" in asked.stderr and "--resume" in asked.stderr
    compared = run(tmp_path, "compare", "piped", "Who keeps it?", "--max-new-tokens", "4")
    assert compared.exit_code == 0, compared.output
    assert "skipping rag, hybrid" in compared.stderr
    # --resume on a complete memory without a retrieval arm adds one
    added = run(
        tmp_path,
        "ingest",
        "-",
        "--name",
        "piped",
        "--resume",
        "--json",
        *ingest_args(files["config"]),
        input=TEXT,
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["rag"]["chunks"] >= 1
    again = run(
        tmp_path,
        "ingest",
        "-",
        "--name",
        "piped",
        "--resume",
        *ingest_args(files["config"]),
        input=TEXT,
    )
    assert again.exit_code == 1 and "already complete" in again.stderr


@pytest.mark.parametrize("mode", ["auto", "memory", "rag", "hybrid", "icl", "base"])
def test_ask_json_per_mode(home, mode) -> None:
    result = run(
        home,
        "ask",
        "notes",
        "Who keeps the lighthouse?",
        "--mode",
        mode,
        "--json",
        "--max-new-tokens",
        "4",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == mode and data["memory"] == "notes"
    assert isinstance(data["answer"], str) and data["latency_s"] > 0
    assert 0 <= data["confidence"] <= 1
    if mode == "memory":
        assert data["mean_gate"] is not None
    if mode in ("base", "icl", "rag"):
        assert data["mean_gate"] is None  # the memory is switched off
    if mode in ("rag", "hybrid"):
        assert data["sources"] and {"source", "similarity", "text"} <= set(data["sources"][0])
    else:
        assert "sources" not in data
    if mode == "hybrid":  # the calibrated policy also runs the combined arm
        assert data["chosen"] in ("memory", "retrieval", "combined")
        assert set(data["arms"]) == {"memory", "retrieval", "combined"}
        for arm in data["arms"].values():
            assert {"answer", "confidence", "latency_s"} <= set(arm)
        assert data["answer"] == data["arms"][data["chosen"]]["answer"]
        assert data["reason"] and data["policy"] == "CalibratedPolicy"
    if mode in ("auto", "hybrid"):
        assert data["route"]["route"] in ("memory", "base") and data["route"]["reason"]


def test_ask_prints_the_answer_alone_on_stdout(home) -> None:
    result = run(
        home,
        "ask",
        "notes",
        "Who keeps the lighthouse?",
        "--mode",
        "hybrid",
        "--max-new-tokens",
        "4",
        "--policy",
        "retrieval-first",
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    assert "chose" in result.stderr and "source" in result.stderr


def test_ask_combine_policy_chooses_the_combined_arm(home) -> None:
    result = run(
        home,
        "ask",
        "notes",
        "Who?",
        "--mode",
        "hybrid",
        "--json",
        "--policy",
        "combine",
        "--max-new-tokens",
        "3",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["chosen"] == "combined" and "combined" in data["arms"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "oracle"], "unknown mode 'oracle'"),
        (["--policy", "coin"], "unknown policy 'coin'"),
    ],
)
def test_ask_rejects_unknown_choices(home, args, message) -> None:
    result = run(home, "ask", "notes", "Who?", *args)
    assert result.exit_code == 1 and message in result.stderr


def test_compare_report_files_and_scores(home, files, tmp_path) -> None:
    report_dir = tmp_path / "report"
    result = run(
        home,
        "compare",
        "notes",
        "--questions",
        str(files["root"] / "questions.jsonl"),
        "An extra question without gold?",
        "--report",
        str(report_dir),
        "--max-new-tokens",
        "4",
    )
    assert result.exit_code == 0, result.output
    for mode in ("base", "icl", "memory", "rag", "hybrid", "auto"):
        assert mode in result.stdout
    assert "per mode" in result.stdout and "report.md" in result.stdout
    report = json.loads((report_dir / "report.json").read_text())
    assert report["modes"] == ["base", "icl", "memory", "rag", "hybrid", "auto"]
    assert len(report["questions"]) == 3
    assert report["questions"][1]["gold"] == ["Glasgow", "Scotland"]
    assert report["questions"][2]["results"]["memory"]["correct"] is None  # no gold answer
    for mode, summary in report["summary"].items():
        assert summary["scored"] == 2 and summary["answered"] == 3, mode
        assert 0 <= summary["accuracy"] <= 1 and summary["mean_latency_s"] > 0
    hybrid = report["questions"][0]["results"]["hybrid"]
    memory = report["questions"][0]["results"]["memory"]
    assert hybrid["arms"]["memory"]["answer"] == memory["answer"]  # the arms are reused
    markdown = (report_dir / "report.md").read_text()
    assert "| mode | accuracy |" in markdown and "chart.png" in markdown
    assert (report_dir / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_json_with_selected_modes(home) -> None:
    result = run(
        home,
        "compare",
        "notes",
        "Who keeps the lighthouse?",
        "--modes",
        "memory,base",
        "--json",
        "--max-new-tokens",
        "3",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["modes"] == ["memory", "base"]
    assert report["summary"]["memory"]["accuracy"] is None  # nothing to score against


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "line 1 is not JSON"),
        ('{"answer": "x"}\n', 'line 1 has no "question"'),
        ('{"question": "q", "answer": 3}\n', "must be a string or a list"),
        ("\n# only a comment\n", "has no questions"),
    ],
)
def test_compare_refuses_bad_question_files(home, tmp_path, content, message) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(content)
    result = run(home, "compare", "notes", "--questions", str(path))
    assert result.exit_code == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_compare_needs_questions_and_known_modes(home) -> None:
    assert "no questions" in run(home, "compare", "notes").stderr
    assert "unknown mode 'x'" in run(home, "compare", "notes", "Q?", "--modes", "memory,x").stderr
    missing = run(home, "compare", "notes", "--questions", "/nonexistent.jsonl")
    assert missing.exit_code == 1 and "no such questions file" in missing.stderr


def test_ls_and_info(home) -> None:
    listed = run(home, "ls", "--json")
    assert listed.exit_code == 0
    data = json.loads(listed.stdout)
    assert [m["name"] for m in data["memories"]] == ["notes"]
    assert data["memories"][0]["rag_chunks"] >= 1 and data["problems"] == []
    table = run(home, "ls")
    assert "notes" in table.stdout and "complete" in table.stdout
    info = run(home, "info", "notes", "--json")
    manifest = json.loads(info.stdout)
    assert manifest["name"] == "notes" and manifest["path"].endswith("memories/notes")
    assert Manifest.model_validate({k: v for k, v in manifest.items() if k != "path"})
    text = run(home, "info", "notes")
    assert "tiny-llama" in text.stdout and "lift-notes" in text.stdout


def test_ls_reports_problems_and_empty_stores(tmp_path) -> None:
    empty = run(tmp_path / "empty", "ls")
    assert empty.exit_code == 0 and "no memories" in empty.stderr
    (tmp_path / "broken" / "memories" / "junk").mkdir(parents=True)
    broken = run(tmp_path / "broken", "ls", "--json")
    data = json.loads(broken.stdout)
    assert data["memories"] == [] and data["problems"][0]["name"] == "junk"
    assert "warning" in run(tmp_path / "broken", "ls").stderr


def test_rm_asks_for_confirmation_and_deletes_corrupt_memories(tmp_path) -> None:
    (tmp_path / "memories" / "junk").mkdir(parents=True)
    refused = run(tmp_path, "rm", "junk")
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    assert (tmp_path / "memories" / "junk").exists()
    removed = run(tmp_path, "rm", "junk", "--yes")
    assert removed.exit_code == 0 and "deleted memory 'junk'" in removed.stderr
    assert not (tmp_path / "memories" / "junk").exists()


def test_existing_memories_need_resume_or_overwrite(files, tmp_path) -> None:
    args = [str(files["notes"]), "--name", "dup", "--no-rag", *ingest_args(files["config"])]
    assert run(tmp_path, "ingest", *args).exit_code == 0
    refused = run(tmp_path, "ingest", *args)
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert "--overwrite" in refused.stderr
    replaced = run(tmp_path, "ingest", *args, "--overwrite", "--qa", "2", "--json")
    assert replaced.exit_code == 0 and json.loads(replaced.stdout)["qa_count"] <= 2
    both = run(tmp_path, "ingest", *args, "--overwrite", "--resume")
    assert both.exit_code == 1 and "contradict" in both.stderr


def test_interrupted_ingest_says_how_to_resume_and_resumes(files, tmp_path, monkeypatch) -> None:
    original = progress.Reporter.train

    def interrupt_in_stage_two(self, p):
        original(self, p)
        if p.stage == "segments+qa":
            raise KeyboardInterrupt

    monkeypatch.setattr(progress.Reporter, "train", interrupt_in_stage_two)
    args = [str(files["notes"]), "--name", "cut", "--no-rag", *ingest_args(files["config"])]
    cut = run(tmp_path, "ingest", *args)
    assert cut.exit_code == 130
    assert "interrupted: memory 'cut' is incomplete" in cut.stderr
    assert (
        f"lift-memory ingest {files['notes']} --name cut --model tiny-llama --resume" in cut.stderr
    )
    assert MemoryStore(tmp_path).read_manifest("cut").status == "incomplete"

    asked = run(tmp_path, "ask", "cut", "Who?")
    assert asked.exit_code == 1
    assert "did not finish ingesting" in asked.stderr and "--resume" in asked.stderr
    info = json.loads(run(tmp_path, "info", "cut", "--json").stdout)
    assert info["status"] == "incomplete" and info["resume"].endswith("--resume")

    monkeypatch.setattr(progress.Reporter, "train", original)
    resumed = run(tmp_path, "ingest", *args, "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    data = json.loads(resumed.stdout)
    assert data["status"] == "complete" and data["resumed_from_step"] > 0
    timings = MemoryStore(tmp_path).read_manifest("cut").timings
    assert timings["ingest_s"] >= timings["train_s"]  # the epochs before the interruption count


def test_invalid_settings_are_one_line_errors(files, tmp_path) -> None:
    result = run(
        tmp_path,
        "ingest",
        str(files["notes"]),
        "--name",
        "x",
        "--model",
        "tiny-llama",
        "--segment-length",
        "64",
        "--segment-stride",
        "64",
    )
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]
    assert error.startswith("error: invalid settings:") and "segment_stride" in error
    bad = tmp_path / "bad.json"
    bad.write_text('{"not_a_field": 1}')
    result = run(tmp_path, "ingest", str(files["notes"]), "--name", "x", "--config", str(bad))
    assert result.exit_code == 1 and "not_a_field" in result.stderr
    assert not MemoryStore(tmp_path).exists("x")


def test_home_option_after_the_command_and_from_the_environment(
    home, tmp_path, monkeypatch
) -> None:
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "ls", "--home", str(home), "--json"])
    assert [m["name"] for m in json.loads(result.stdout)["memories"]] == ["notes"]
    monkeypatch.setenv("LIFT_MEMORY_HOME", str(home))
    result = CliRunner().invoke(app, ["ls", "--json"])
    assert json.loads(result.stdout)["home"] == str(home)


def test_help_names_the_engine_defaults() -> None:
    """Defaults are LiftConfig's (they change as the engine is tuned): the help names them."""
    help_text = CliRunner().invoke(app, ["ingest", "--help"], terminal_width=200).stdout
    named = {
        "--qa": "qa_count",
        "--epochs": "stage2_epochs",
        "--stage1-epochs": "stage1_epochs",
        "--segment-length": "segment_length",
        "--segment-stride": "segment_stride",
    }
    for option, field in named.items():
        line = next(line for line in help_text.splitlines() if line.strip().startswith(option))
        assert f"[default: LiftConfig.{field}]" in line, line
        assert field in LiftConfig.model_fields


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("lift-memory ")


def test_unreachable_chroma_server_keeps_the_trained_memory(files, tmp_path) -> None:
    result = run(
        tmp_path,
        "ingest",
        str(files["notes"]),
        "--name",
        "srv",
        *ingest_args(files["config"]),
        "--chroma-url",
        "http://127.0.0.1:9",
    )
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]
    assert (
        "memory 'srv' is trained" in error and "--resume --chroma-url http://127.0.0.1:9" in error
    )
    assert MemoryStore(tmp_path).read_manifest("srv").status == "complete"


def test_asking_a_memory_that_is_being_ingested_says_so(files, tmp_path, monkeypatch) -> None:
    original = progress.Reporter.train
    held = {}

    def ask_while_training(self, p):
        original(self, p)
        if "result" not in held:  # the ingest holds the memory's lock right now
            held["result"] = CliRunner().invoke(app, ["--home", str(tmp_path), "ask", "busy", "?"])

    monkeypatch.setattr(progress.Reporter, "train", ask_while_training)
    result = run(
        tmp_path,
        "ingest",
        str(files["notes"]),
        "--name",
        "busy",
        "--no-rag",
        *ingest_args(files["config"]),
    )
    assert result.exit_code == 0, result.output
    asked = held["result"]
    assert asked.exit_code == 1
    assert "memory 'busy' is already held" in asked.stderr  # in-process: the same lock holder
