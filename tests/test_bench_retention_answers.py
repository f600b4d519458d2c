"""The bench records the base model's retention answers once per run folder, for the largest
count any training asks for (cli/lift_memory_bench/env.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from lift_memory_bench import env as bench_env
from lift_memory_bench.profiles import QUALITY

from lift_memory.retention import RETENTION_PROMPTS


def _env(out: Path) -> bench_env.BenchEnv:
    # only what retention_answers touches: the profile, the folder, the events and the model
    env = object.__new__(bench_env.BenchEnv)
    env.profile = QUALITY
    env.out_dir = out
    env.events = SimpleNamespace(stage=lambda _message: None)
    env.base = SimpleNamespace(get=lambda: SimpleNamespace(fingerprint="tiny"))
    env._retention = None
    env._retention_count = 0
    return env


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counts: list[int] = []

    def record(_loaded: object, count: int) -> list[tuple[str, str]]:
        counts.append(count)
        return [(prompt, "an answer") for prompt in RETENTION_PROMPTS[:count]]

    monkeypatch.setattr(bench_env, "record_retention_answers", record)
    return counts


def test_a_variant_asking_for_more_prompts_gets_them(tmp_path: Path, recorded) -> None:
    env = _env(tmp_path)
    profile_count = QUALITY.lift.retention_samples
    pairs, _ = env.retention_answers()
    assert [p for p, _ in pairs] == list(RETENTION_PROMPTS[:profile_count])
    more, _ = env.retention_answers(profile_count + 20)
    assert [p for p, _ in more] == list(RETENTION_PROMPTS[: profile_count + 20])
    fewer, _ = env.retention_answers(profile_count)  # a slice of what is recorded
    assert fewer == pairs
    assert recorded == [profile_count, profile_count + 20]


def test_a_later_run_reuses_a_larger_recording(tmp_path: Path, recorded) -> None:
    _env(tmp_path).retention_answers(60)
    again = _env(tmp_path)
    pairs, _ = again.retention_answers(40)
    assert [p for p, _ in pairs] == list(RETENTION_PROMPTS[:40])
    assert recorded == [60]  # read from the folder, not recorded again


def test_every_training_is_charged_a_cold_ingests_seconds(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env._retention, env._retention_count = ([("q", "a")], 30.0), 64
    # the shared answers, and what the base model wrote for an earlier memory
    assert env.cold_ingest_extra_s({"retention_s": 0.2, "base_writing_kept_s": 100.0}, 64) == 130
    assert env.cold_ingest_extra_s({"retention_s": 90.0, "base_writing_kept_s": 0.0}, 64) == 30
    # memories trained before the cache, as they were charged then
    assert env.cold_ingest_extra_s({"retention_s": 90.0}, 64) == 0.0
    assert env.cold_ingest_extra_s({"retention_s": 0.5}, 64) == 30.0
