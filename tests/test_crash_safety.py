"""Crash safety of `lift-memory ingest` (lift_memory_bench.crash_safety, quick mode).

A few SIGKILLs aimed at the riskiest phases (checkpoint write, final commit, Chroma writes) must
lose nothing, and SIGTERM / SIGINT must stop with exit 130 and a checkpoint at the current step;
every killed memory resumes to exactly the adapter and answers of an uninterrupted ingest. The
full run (>= 20 kills, every phase, the real console script) is in docs/reliability.md.
"""

from __future__ import annotations

import signal

import pytest
from lift_memory_bench import crash_safety

# One forkserver for the crash and concurrency tests, importing torch & co. while pytest runs
# other tests; each command is then forked from it in a fraction of a second.
RUNNER = crash_safety.ForkRunner()
RUNNER.start_server()

QUICK_CONFIG = {**crash_safety.CONFIG, "stage2_epochs": 1, "checkpoint_every_steps": 2}


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> crash_safety.Harness:
    harness = crash_safety.Harness(
        tmp_path_factory.mktemp("crash"),
        RUNNER,
        seed=11,
        delay=0.03,
        rag="chroma",  # only the Chroma-phase trial pays for the embedding model
        config=QUICK_CONFIG,
    )
    harness.build_reference()
    return harness


def test_sigkill_in_checkpoint_commit_and_chroma_loses_nothing(harness) -> None:
    results = [
        harness.trial(index, phase)
        for index, phase in enumerate(["checkpoint", "commit", "chroma"], start=1)
    ]
    for result in results:
        assert result.killed and result.exit_code == -signal.SIGKILL, result
        assert result.store_problems == [], result  # the reference memory is untouched
        assert result.state_after_kill in ("absent", "incomplete", "complete"), result
        assert result.ok, result  # resumed, same adapter and answers, no temp files left
    summary = crash_safety.summarize(results, [])
    assert summary["memories_lost"] == 0
    assert summary["resumes_completed"] == summary["resumes_needed"] == 3


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_sigint_stop_cleanly_with_a_resumable_checkpoint(harness, sig) -> None:
    result = harness.trial(10 + int(sig), "train", sig)
    assert result.killed and result.exit_code == 130, result
    assert result.message.startswith(f"error: interrupted: memory 'trial-{10 + int(sig)}'")
    assert result.message.endswith("--resume`"), result.message
    assert result.state_after_kill == "incomplete" and result.temp_files_after_kill == 0
    # the checkpoint was written at the step the signal found, not at the last periodic one
    assert result.checkpoint_step is not None and result.checkpoint_step >= 1
    assert result.checkpoint_step == result.train_steps_done == result.resumed_from_step
    assert result.ok, result
