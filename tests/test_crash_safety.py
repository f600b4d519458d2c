"""Crash safety of `lift-memory ingest` and `ingest --overwrite` (lift_memory_bench.crash_safety,
quick mode).

A few SIGKILLs aimed at the riskiest phases (checkpoint write, final commit, Chroma writes) must
lose nothing, and SIGTERM / SIGINT must stop with exit 130 and a checkpoint at the current step;
every killed memory resumes to exactly the adapter and answers of an uninterrupted ingest. A
SIGKILL in any phase of `ingest --overwrite` (and in its swap) leaves the memory complete and
answering, and the re-ingest finishes to the uninterrupted new memory. The full run (>= 20
kills, every phase, the real console script) is in docs/reliability.md.
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


@pytest.fixture(scope="module")
def overwrites(harness) -> crash_safety.OverwriteTrials:
    trials = crash_safety.OverwriteTrials(harness)
    trials.build_reference()
    return trials


# the swap twice: killed before the exchange of the two folders, then after it
OVERWRITE_KILLS = [*crash_safety.OVERWRITE_TARGETS, "swap"]


@pytest.mark.parametrize(
    ("index", "phase"),
    list(enumerate(OVERWRITE_KILLS, start=20)),
    ids=[*crash_safety.OVERWRITE_TARGETS, "swap-after-exchange"],
)
def test_sigkill_in_any_phase_of_overwrite_keeps_the_memory_answering(
    overwrites, index, phase
) -> None:
    result = overwrites.trial(index, phase, after_exchange=index != 20)
    assert result.killed and result.exit_code == -signal.SIGKILL, result
    # never without a memory: the previous one byte for byte, or (killed after the swap) the new
    assert result.version_after_kill in ("old", "new"), result
    assert result.answers_after_kill_ok, result
    if phase != "swap":
        assert result.version_after_kill == "old", result
    else:  # the first swap kill comes before the exchange, the second after it
        after_exchange = result.last_marker == "swap:exchanged"
        assert result.version_after_kill == ("new" if after_exchange else "old"), result
        assert after_exchange == (index != 20), result
    if phase in ("train", "checkpoint", "commit", "chroma"):
        assert result.finished_with == "resume", result  # the replacement was resumable
    assert result.ok, result  # finished: equal to an uninterrupted ingest, nothing left over
