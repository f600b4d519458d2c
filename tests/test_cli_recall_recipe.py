"""`lift-memory ingest` with the recall recipe: per-fact QA and training until facts are learned
(the summary, --json and the progress line report "facts learned: k / n")."""

from __future__ import annotations

import json
from pathlib import Path

from lift_memory_cli.app import app
from typer.testing import CliRunner

from lift_memory.store import MemoryStore

TEXT = (
    "The lighthouse on Varrow Point was built in 1887 by the engineer Ilse Marrick. "
    "The keeper of the lighthouse is Tomas Brekk, who arrived in 1902."
)
RECIPE = {
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "contextualized": False,
    "stage1_epochs": 0,
    "stage2_epochs": 3,
    "qa_generator": "facts",
    "qa_per_fact": 2,
    "fact_statements": True,
    "learn_until": 0.9,
    "extractable_threshold": 0.001,  # a tiny random model: every fact passes at once
    "retention_samples": 1,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
}


def test_ingest_reports_facts_learned(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text(TEXT)
    (tmp_path / "recipe.json").write_text(json.dumps(RECIPE))
    common = ["--model", "tiny-llama", "--config", str(tmp_path / "recipe.json"), "--no-rag"]

    def ingest(name: str, *extra: str):
        notes = str(tmp_path / "notes.txt")
        home = ["--home", str(tmp_path / "home")]
        return CliRunner().invoke(app, [*home, "ingest", notes, "--name", name, *common, *extra])

    result = ingest("r", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["facts_total"] >= 4 and data["facts_learned"] == data["facts_total"]
    assert data["qa_count"] > data["facts_total"]  # several phrasings per fact
    assert data["train_tokens_per_corpus_token"] > 1
    manifest = MemoryStore(tmp_path / "home").read_manifest("r")
    assert manifest.metrics["epochs_segments+qa"] == 1  # learned after one epoch: stopped
    assert data["stopped_by"] == "target"
    [point] = data["learning_curve"]  # recall against cost, per epoch
    assert point["epoch"] == 1 and point["facts_learned"] == data["facts_total"]
    assert 0 < point["tokens"] <= data["train_tokens"] and point["seconds"] > 0

    text = ingest("r2")
    assert text.exit_code == 0, text.output
    learned = f"facts learned: {data['facts_total']} / {data['facts_total']}"
    assert (
        f"{learned} (after each epoch: {data['facts_total']}); stopped: the target" in text.stdout
    )
