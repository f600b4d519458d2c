"""Data-parallel ingest: `lift-memory ingest --processes 2` re-launches itself under
`accelerate launch` (two CPU processes, gloo) and must train what one process trains.

Why the comparison is meaningful: each optimizer step consumes the same global batch either
way — with two processes each runs half of its samples and the gradients are averaged weighted
by loss-token count — so the adapters and losses may differ only by floating-point summation
order and padding width. Measured on CPU: losses agree to ~1e-7 relative, adapter weights to
~1e-6; the test allows rtol 1e-4 on losses and atol 1e-4 on weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from lift_memory_cli import launch
from lift_memory_cli.app import app
from safetensors.torch import load_file
from typer.testing import CliRunner

from lift_memory.distributed import DataParallel
from lift_memory.memory import LiftMemory
from lift_memory.store import MemoryStore
from lift_memory.tiny import tiny_model

DATA = Path(__file__).parent / "data" / "varnholm.txt"
CONFIG = {
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 1,
    "stage2_epochs": 2,
    "qa_count": 6,
    "qa_generator": "cloze",
    "retention_samples": 2,  # retention batches use the per-position KL: weighted differently
    "max_batch_tokens": 512,
    "warmup_steps": 1,
    # the data-parallel sums are compared to float32 tolerances; bf16 products round per shape
    "precision": "fp32",
}
LOSS_RTOL = 1e-4
WEIGHT_ATOL = 1e-4


def ingest(home: Path, files: Path, *extra: str):
    args = [str(files / "corpus.txt"), "--name", "m", "--model", "tiny-llama", "--no-rag"]
    return CliRunner().invoke(
        app,
        ["--home", str(home), "ingest", *args, "--config", str(files / "cfg.json"), *extra],
    )


def test_two_processes_train_the_adapter_one_process_trains(tmp_path, capfd) -> None:
    (tmp_path / "corpus.txt").write_text(DATA.read_text())
    (tmp_path / "cfg.json").write_text(json.dumps(CONFIG))
    one = ingest(tmp_path / "one", tmp_path, "--json")
    assert one.exit_code == 0, one.output
    capfd.readouterr()

    # the parent re-launches itself: the children write to the real stdout, not CliRunner's
    two = ingest(tmp_path / "two", tmp_path, "--json", "--processes", "2")
    assert two.exit_code == 0, two.output
    out = capfd.readouterr().out
    summary = json.loads(out)  # one JSON document: only the main process reports
    assert summary["status"] == "complete"

    single = MemoryStore(tmp_path / "one").read_manifest("m")
    double = MemoryStore(tmp_path / "two").read_manifest("m")
    assert double.status == "complete" and double.qa_count == single.qa_count
    assert double.metrics["train_tokens"] == single.metrics["train_tokens"]  # every sample once
    for key in ("final_loss", "loss_segments", "loss_segments+qa"):
        assert double.metrics[key] == pytest.approx(single.metrics[key], rel=LOSS_RTOL), key
    assert summary["final_loss"] == pytest.approx(single.metrics["final_loss"], rel=LOSS_RTOL)

    first = load_file(MemoryStore(tmp_path / "one").adapter_path("m"))
    second = load_file(MemoryStore(tmp_path / "two").adapter_path("m"))
    assert first.keys() == second.keys()
    for key in first:
        torch.testing.assert_close(second[key], first[key], atol=WEIGHT_ATOL, rtol=0)
    assert not MemoryStore(tmp_path / "two").checkpoint_dir("m").exists()

    memory = LiftMemory.load("m", store=MemoryStore(tmp_path / "two"), model=tiny_model("llama"))
    try:
        assert memory.ask("Who keeps the lighthouse?", max_new_tokens=4).generated_tokens > 0
    finally:
        memory.detach()


def test_processes_needs_files_not_stdin(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path), "ingest", "-", "--name", "x", "--processes", "2"], input="t"
    )
    assert result.exit_code == 1 and "give files, not -" in result.stderr


def test_the_relaunched_command_line_keeps_every_option(tmp_path) -> None:
    from typer.main import get_command

    root = get_command(app)
    parent = root.make_context("lift-memory", ["--home", str(tmp_path), "ingest", "a.txt"])
    args = ["a.txt", "b.txt", "-n", "m", "--qa", "3", "--no-rag", "--resume", "--processes", "4"]
    ctx = root.get_command(parent, "ingest").make_context("ingest", args, parent=parent)
    rebuilt = launch.command_args(ctx)
    assert rebuilt[:2] == ["a.txt", "b.txt"]
    assert {"--no-rag", "--resume"} <= set(rebuilt) and "--overwrite" not in rebuilt
    assert rebuilt[rebuilt.index("--name") + 1] == "m" and rebuilt[rebuilt.index("--qa") + 1] == "3"
    assert "--processes" not in rebuilt and "--home" not in rebuilt
    command = launch.accelerate_command(4, tmp_path, "ingest", rebuilt)
    assert command[2] == "lift_memory_cli.launch" and "--multi_gpu" in command
    assert command[command.index("--num_processes") + 1] == "4"
    assert command[command.index("-m", 3) :][:4] == [
        "-m",
        "lift_memory_cli",
        "--home",
        str(tmp_path),
    ]


def test_each_process_takes_every_nth_sample_of_a_batch() -> None:
    batch = list("abcde")
    shards = [DataParallel(i, 2, torch.device("cpu")).shard(batch) for i in range(2)]
    assert shards == [(["a", "c", "e"], True), (["b", "d"], True)]
    # a process left without a sample still runs one, with weight 0
    assert DataParallel(2, 3, torch.device("cpu")).shard(["a", "b"]) == (["a"], False)
