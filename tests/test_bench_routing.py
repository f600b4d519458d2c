"""The retention benchmark's probes: at least 200, bundled generic questions and real questions
on other topics, none sharing a template with what retention trains on or what the routing
calibration saw (the end-to-end run is in tests/test_bench.py's quick profile)."""

from __future__ import annotations

import pytest
from lift_memory_bench.generic import GENERIC_QUESTIONS
from lift_memory_bench.retention_probes import (
    GENERIC_PROBES,
    TRAINED_OR_CALIBRATED,
    frame,
    new_template,
    retention_probes,
    shares_template,
)
from lift_memory_cli.core.out_of_scope import out_of_scope_questions

from lift_memory.config import LiftConfig
from lift_memory.retention import GENERIC_PROMPTS, RETENTION_PROMPTS


def test_templates_are_frames_and_shared_topics() -> None:
    assert frame("How many legs does a cat have?") == "how many _ does a _ have"
    assert shares_template("How many legs does a cat have?", "How many legs does a spider have?")
    assert shares_template("What is the capital of France?", "What is the capital of Japan?")
    assert shares_template(
        "Which is the smallest planet in our solar system?",
        "What is the largest planet in the solar system?",
    )
    assert shares_template("Tell me the capital of Canada.", "Tell me a joke about computers.")
    assert not shares_template("Which planet is known as the Red Planet?", "Who wrote Hamlet?")
    # the older generic questions mostly share one: why the benchmark has its own probes
    shared = sum(not new_template(g.question, GENERIC_PROMPTS) for g in GENERIC_QUESTIONS)
    assert shared >= 7


def test_retention_prompts_never_ask_what_the_bench_measures() -> None:
    # the framed prompts share frames with the generic questions ("How many _ does a _
    # have"), as the first 32 do, but never one of their questions or probes
    assert RETENTION_PROMPTS[: len(GENERIC_PROMPTS)] == GENERIC_PROMPTS
    assert len(set(RETENTION_PROMPTS)) == len(RETENTION_PROMPTS) > 100
    measured = {g.question for g in GENERIC_QUESTIONS} | {p.question for p in GENERIC_PROBES}
    assert not measured & set(RETENTION_PROMPTS)
    assert LiftConfig(retention_samples=len(RETENTION_PROMPTS)).retention_samples > 100
    with pytest.raises(ValueError, match="retention_samples"):
        LiftConfig(retention_samples=len(RETENTION_PROMPTS) + 1)


def test_bundled_probes_are_new_templates_with_gold_answers() -> None:
    assert len(GENERIC_PROBES) >= 100
    assert len({p.question for p in GENERIC_PROBES}) == len(GENERIC_PROBES)
    for probe in GENERIC_PROBES:
        assert probe.answers and all(a.strip() for a in probe.answers), probe
        assert new_template(probe.question), probe.question


def test_at_least_200_probes_none_calibrated_on() -> None:
    pytest.importorskip("long_context_eval")
    probes = retention_probes(220)
    assert len(probes) == 220 and len({p.question for p in probes}) == 220
    kinds = {p.source.split(":")[0] for p in probes}
    assert kinds == {"generic", "squad", "hotpotqa"}
    assert all(new_template(p.question, TRAINED_OR_CALIBRATED) for p in probes)
    calibration, _ = out_of_scope_questions("")
    assert not {p.question for p in probes} & set(calibration)
    # a question about the corpus's own article is never a probe
    assert any(p.source == "squad:Oxygen" for p in probes)
    corpus = "Oxygen is a chemical element with symbol O and atomic number 8."
    assert not any(p.source == "squad:Oxygen" for p in retention_probes(220, corpus))
