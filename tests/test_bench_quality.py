"""`lift-memory bench --profile quality`: the profile as committed (composition, ≥ 24 questions
per task, the recipe in one place, a cost estimate that counts the per-fact recipe), and its
composition run end to end on a tiny model through the CLI, shrunk with --config, so that the
confidence intervals and the recipe's accounting are checked where they are produced."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
import torch
from lift_memory_bench.estimate import estimate_cost, training_tokens
from lift_memory_bench.names import PROFILE_NAMES
from lift_memory_bench.profiles import PROFILES, QUALITY, QUALITY_RECIPE
from lift_memory_bench.tasks.corpus import build_corpus
from lift_memory_bench.unrelated_texts import UNRELATED_TEXTS
from lift_memory_cli.app import app as lift_memory_app
from typer.testing import CliRunner

from lift_memory.answer import generate_answer
from lift_memory.config import LiftConfig
from lift_memory.precision import native_bf16
from lift_memory.training_tokens import estimate_training_tokens, expected_training_tokens

QUALITY_METHODS = ("base", "rag", "lora", "hybrid")
TINY_METHODS = ("base", "rag", "lift", "lora", "hybrid")  # the paper's memory added back
QUALITY_TASKS = ("fact-single", "fact-multihop", "fact-timeline", "needle-single", "hotpotqa")
MEMORIES = ("lift", "lora", "hybrid")

# the quality profile's composition and recipe switches at the quick profile's sizes
TINY_RECIPE = {
    "segment_length": 128,
    "segment_stride": 96,
    "context_window": 128,
    "stage1_epochs": 1,
    "stage2_epochs": 2,
    "retention_samples": 2,
    "retention_passages": 0,
    "max_batch_tokens": 2048,
    "warmup_steps": 1,
}
TINY_QUALITY = {
    "model": "tiny-llama",
    "window": 256,
    "corpus_tokens": 1024,
    "questions_per_task": 3,
    "max_new_tokens": 8,
    "rag_chunk_size": 64,
    "generic_questions": 2,
    "bootstrap_resamples": 200,
    "peft_learning_rate": 1e-3,
    "estimate_train_tokens_per_s": 15000.0,
    "estimate_seconds_per_answer": 0.05,
    "methods": list(TINY_METHODS),
    "lift": TINY_RECIPE,
    # merged into the profile's `lora` arm (the library defaults): the tiny recipe, a rank that
    # keeps the budget near the Gated Memory's, and one stage-2 epoch where `lift` runs two
    "variant_overrides": {
        "lora": {**TINY_RECIPE, "stage2_epochs": 1, "lora": {"rank": 8, "alpha": 16}}
    },
}


def _words(text: str) -> int:
    return len(text.split())


def test_quality_profile_composition() -> None:
    assert set(PROFILES) == set(PROFILE_NAMES)
    assert PROFILES["quality"] is QUALITY
    assert QUALITY.methods == QUALITY_METHODS and QUALITY.tasks == QUALITY_TASKS
    assert QUALITY.questions_per_task >= 24
    assert QUALITY.bootstrap_resamples == 1000
    assert QUALITY.corpus_tokens >= 4 * QUALITY.window
    for field, value in QUALITY_RECIPE.items():  # the recipe, from its one place
        assert getattr(QUALITY.lift, field) == value, field
    assert QUALITY.lift.qa_generator == "facts" and QUALITY.lift.fact_statements
    assert QUALITY.lift.learn_until == 0.95
    # the `lora` arm is the library's default memory, exactly as `lift-memory ingest` trains it
    assert QUALITY.training_config("lora") == LiftConfig()
    assert QUALITY.trainings() == ["lora"]
    # routing and the hybrid run over the LoRA: the library's default memory
    assert QUALITY.routed_memory == "lora"
    # answers as long as `ask` gives them: a shorter budget cut composed answers before the answer
    default_budget = inspect.signature(generate_answer).parameters["max_new_tokens"].default
    assert QUALITY.max_new_tokens == default_budget


def test_quality_corpus_asks_24_questions_of_every_task() -> None:
    pytest.importorskip("long_context_eval")
    corpus = build_corpus(
        QUALITY.tasks,
        corpus_tokens=QUALITY.corpus_tokens,
        questions_per_task=QUALITY.questions_per_task,
        count_tokens=_words,
        seed=QUALITY.seed,
    )
    counts = {task: sum(q.task == task for q in corpus.questions) for task in QUALITY.tasks}
    assert counts == dict.fromkeys(QUALITY.tasks, QUALITY.questions_per_task)
    assert len({q.question for q in corpus.questions}) == len(corpus.questions)


def test_the_estimate_counts_the_per_fact_recipe() -> None:
    tokens = 5000
    recipe = QUALITY.lift.model_dump(mode="json")
    forty_pairs = {**recipe, "qa_generator": "cloze", "qa_count": 40, "fact_statements": False}
    # every fact asked several ways, statements and probes: far more than 40 planned pairs
    assert training_tokens(QUALITY.lift, tokens) > 2 * estimate_training_tokens(tokens, forty_pairs)
    # the bench takes the engine's expected figure as it is, for every generator
    assert training_tokens(QUALITY.lift, tokens) == expected_training_tokens(tokens, recipe)
    full = PROFILES["full"].lift
    assert training_tokens(full, tokens) == expected_training_tokens(
        tokens, full.model_dump(mode="json")
    )
    estimate = estimate_cost(QUALITY)
    assert list(estimate.training_tokens) == ["lora"]
    assert estimate.training_tokens["lora"] == training_tokens(LiftConfig(), QUALITY.corpus_tokens)
    # the library default trains until 90 % of the facts are learned: far below its maximum
    assert estimate.most_training_tokens["lora"] > 1.5 * estimate.training_tokens["lora"]
    assert "(at most" in estimate.describe()
    assert estimate.answers >= 5 * 24 * len(QUALITY.tasks)  # hybrid answers 2-3 times


def test_the_estimate_counts_on_bf16_training_being_faster() -> None:
    def minutes(precision: str) -> float:
        overrides = {"variant_overrides": {"lora": {"precision": precision}}}
        return estimate_cost(QUALITY.with_overrides(overrides)).minutes

    assert minutes("bf16") < minutes("fp32")
    assert minutes("auto") == minutes("bf16" if native_bf16(torch.device("cpu")) else "fp32")


@pytest.fixture(scope="module")
def tiny_quality(tmp_path_factory) -> tuple[Path, dict, str]:
    pytest.importorskip("long_context_eval")
    folder = tmp_path_factory.mktemp("bench-quality")
    config = folder / "tiny.json"
    config.write_text(json.dumps(TINY_QUALITY))
    out = folder / "out"
    result = CliRunner().invoke(
        lift_memory_app,
        ["bench", "--profile", "quality", "--config", str(config), "--out", str(out)]
        + ["--home", str(folder / "home")],
    )
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "report.json").read_text()), result.output


def test_tiny_quality_run_has_every_method_and_task(tiny_quality) -> None:
    _, report, output = tiny_quality
    assert "profile quality" in output and "estimate:" in output
    assert report["methods"] == list(TINY_METHODS) and report["tasks"] == list(QUALITY_TASKS)
    for method in TINY_METHODS:
        result = report["results"][method]
        assert result["status"] == "ok", (method, result.get("traceback"))
        assert all(result["tasks"][t]["n"] == 3 for t in QUALITY_TASKS)
    for question in report["questions"]:
        timeline = question["task"] == "fact-timeline"
        assert question["scored_by_choice"] == timeline
        for method, cell in question["replies"].items():
            assert ("text_choice" in cell) == timeline
            # whether the answer ran into the token limit, where the method generates it itself
            assert isinstance(cell.get("cut_off"), bool) == (method != "hybrid"), method


def test_tiny_quality_run_reports_answers_cut_at_the_token_limit(tiny_quality) -> None:
    out, report, _ = tiny_quality
    for method in TINY_METHODS:
        for task in QUALITY_TASKS:
            share = report["results"][method]["tasks"][task]["cut_off"]
            if method == "hybrid":
                assert share is None
                continue
            cells = [q["replies"][method] for q in report["questions"] if q["task"] == task]
            assert share == pytest.approx(sum(c["cut_off"] for c in cells) / len(cells))
    markdown = (out / "report.md").read_text()
    assert "## Answers cut off at the token limit" in markdown
    assert "| base | " in markdown.split("## Answers cut off")[1]


def test_tiny_quality_run_reports_sane_confidence_intervals(tiny_quality) -> None:
    out, report, _ = tiny_quality
    assert report["confidence"]["level"] == 0.95 and report["confidence"]["resamples"] == 200
    for method in TINY_METHODS:
        result = report["results"][method]
        for task in QUALITY_TASKS:
            scores = result["tasks"][task]
            for metric in ("exact_match", "f1", "contains", "mc_accuracy"):
                low, high = scores["ci"][metric]
                assert 0.0 <= low <= scores[metric] <= high <= 1.0, (method, task, metric)
        for metric, (low, high) in result["overall_ci"].items():
            assert low <= result["overall"][metric] <= high, (method, metric)
    markdown = (out / "report.md").read_text()
    assert "95% confidence interval" in markdown
    assert "| lift | " in markdown and "% [" in markdown


def test_tiny_quality_run_reports_the_recipes_accounting(tiny_quality) -> None:
    out, report, _ = tiny_quality
    for method in MEMORIES:
        costs = report["results"][method]["costs"]
        assert costs["facts_total"] > 0, method
        assert 0 <= costs["facts_learned"] <= costs["facts_total"]
        assert costs["train_tokens_per_corpus_token"] > 1.0
        assert costs["qa_pairs"] > costs["facts_total"] // 2  # several phrasings per fact
        assert 1 <= costs["epochs_run"]["segments+qa"] <= 2
        curve = costs["learning_curve"]
        assert len(curve) == costs["epochs_run"]["segments+qa"]
        assert curve[-1]["facts_learned"] == costs["facts_learned"]
        retention = report["results"][method]["retention"]
        assert set(retention["perplexity_by_text"]) == set(UNRELATED_TEXTS)
        assert retention["perplexity_ratio_max"] >= retention["perplexity_ratio"] > 0
    lift, lora = report["results"]["lift"]["costs"], report["results"]["lora"]["costs"]
    assert lora["epochs_run"]["segments+qa"] == 1  # the profile's override, for `lora` only
    assert lift["qa_pairs"] == lora["qa_pairs"]  # one recipe, two adapters
    assert lora["adapter"] == "lora" and lift["adapter"] == "gated_memory"
    hybrid = report["results"]["hybrid"]["costs"]
    assert (hybrid["adapter"], hybrid["memory"]) == ("lora", lora["memory"])  # the routed memory
    assert "routing" in report["results"]["lora"] and "routing" not in report["results"]["lift"]
    assert 0.5 <= lora["trainable_params"] / lift["trainable_params"] <= 2.0
    markdown = (out / "report.md").read_text()
    assert "## Training" in markdown
    # the learning curve: each trained memory once (the hybrid answers from the LoRA's)
    curve_rows = [
        line
        for line in markdown.splitlines()
        if line.startswith(("| lift | 1 |", "| lora | 1 |", "| hybrid | 1 |"))
    ]
    assert "## Learning curve" in markdown
    assert [row.split(" | ")[0] for row in curve_rows] == ["| lift", "| lora"]
