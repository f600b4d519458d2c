"""`lift-memory bench`: the quick profile end to end through the CLI (tiny model, seconds), plus
the corpus generators, metrics and profile plumbing on their own.

Answers of a tiny random model are noise: the end-to-end test checks that every method ran on
every task and that scores and costs are well formed, not what they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from lift_memory_bench import command as bench
from lift_memory_bench.estimate import estimate_cost
from lift_memory_bench.likelihood import option_logprobs
from lift_memory_bench.metrics import contains as contains_metric
from lift_memory_bench.metrics import exact_match, percentile, token_f1
from lift_memory_bench.names import METHODS, TASKS
from lift_memory_bench.profiles import FULL, METHOD_TRAINING, QUALITY, QUICK
from lift_memory_bench.tasks.corpus import SECTIONS, build_corpus
from lift_memory_bench.unrelated_texts import UNRELATED_TEXTS
from lift_memory_cli.app import app as lift_memory_app
from typer.testing import CliRunner

from lift_memory.prompts import prompt_ids, question_prompt

FICTION_AND_NEEDLES = [t for t in TASKS if t != "hotpotqa"]
TRAINED = set(METHOD_TRAINING)


def _words(text: str) -> int:
    return len(text.split())


# `bench` reaches the `lift-memory` app through the installed plugin entry point
app = lift_memory_app


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory) -> tuple[Path, dict, str]:
    out = tmp_path_factory.mktemp("bench") / "quick"
    home = out.parent / "home"
    result = CliRunner().invoke(app, ["bench", "--home", str(home), "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return out, json.loads((out / "report.json").read_text()), result.output


def test_quick_profile_writes_every_file(quick_report) -> None:
    out, report, output = quick_report
    for name in ("report.md", "report.json", "accuracy.png", "cost.png"):
        assert (out / name).stat().st_size > 0, name
    for name in ("accuracy.png", "cost.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "report.md" in output
    markdown = (out / "report.md").read_text()
    for method in METHODS:
        assert f"| {method} |" in markdown
    assert "## General-capability retention" in markdown


def test_quick_profile_scores_every_method_on_every_task(quick_report) -> None:
    _, report, _ = quick_report
    assert report["methods"] == list(METHODS)
    assert report["tasks"] == list(TASKS)
    for method in METHODS:
        result = report["results"][method]
        assert result["status"] == "ok", (method, result.get("reason"), result.get("traceback"))
        for task in TASKS:
            scores = result["tasks"][task]
            assert scores["n"] >= 1
            for metric in ("exact_match", "f1", "contains", "mc_accuracy"):
                assert 0.0 <= scores[metric] <= 1.0, (method, task, metric)
                assert scores["ci"][metric] is None  # one question: no interval to draw
        retention = result["retention"]
        if method in ("icl-trunc", "icl-full", "rag", "lift-icl"):
            assert retention is None, method  # nothing of its own attached: not probed
            continue
        assert 0.0 <= retention["generic_accuracy"] <= 1.0
        assert retention["perplexity"] > 0 and retention["perplexity_without_memory"] > 0
        assert set(retention["perplexity_by_text"]) == set(UNRELATED_TEXTS)  # every genre
        assert len(retention["answers"]) == QUICK.generic_questions  # kept for reading
        # the share of the base model's generic score lost, read against the reference answers
        if report["retention_reference"]["base_generic_accuracy"]:
            assert retention["generic_relative_drop"] is not None
    # the base row is the reference answers themselves; memory methods are probed
    base = report["results"]["base"]["retention"]
    assert base["base_agreement_f1"] == 1.0 and base["perplexity_ratio"] == 1.0
    assert base["generic_accuracy"] == report["retention_reference"]["base_generic_accuracy"]
    assert base["generic_relative_drop"] in (0.0, None)  # None when the base scores nothing
    for question in report["questions"]:
        assert set(question["replies"]) == set(METHODS)
        for cell in question["replies"].values():
            assert len(cell["option_logprobs"]) == len(question["options"])


def test_trainings_share_one_recording_of_the_retention_answers(quick_report) -> None:
    out, report, output = quick_report
    shared = json.loads((out / "retention-answers.json").read_text())
    assert shared["key"]["count"] == QUICK.lift.retention_samples and shared["seconds"] > 0
    assert output.count("recording the base model's retention answers") == 1
    memories = sorted((out / "store").glob("memories/*/retention.jsonl"))
    assert len(memories) == len(QUICK.trainings())
    for path in memories:  # every training got the same targets
        pairs = [json.loads(line) for line in path.read_text().splitlines()]
        assert pairs[: len(shared["pairs"])] == shared["pairs"]
        written = pairs[len(shared["pairs"]) :]  # then the passages the base model wrote itself
        assert len(written) <= QUICK.lift.retention_self_passages
        assert all(prompt == "" and passage for prompt, passage in written)


def test_quick_profile_costs_are_positive(quick_report) -> None:
    _, report, _ = quick_report
    budget = report["parameter_budget"]
    assert budget["gated_memory_params"] > 0 and budget["lora_rank"] >= 1
    assert 0.5 <= budget["lora_params"] / budget["gated_memory_params"] <= 2.0
    for method in METHODS:
        costs = report["results"][method]["costs"]
        assert costs["ask_p50_s"] > 0 and costs["ask_p95_s"] >= costs["ask_p50_s"]
        if method in TRAINED:
            assert costs["ingest_s"] > 0 and costs["ingest_s_per_1k_tokens"] > 0
            assert costs["train_tokens"] > 0
            assert costs["trainable_params"] > 0 and costs["adapter_bytes"] > 0
        if method in ("rag", "hybrid"):
            assert costs["ingest_s"] > 0 and costs["index_bytes"] > 0
    lora = report["results"]["lora"]["costs"]["trainable_params"]
    assert lora == budget["lora_params"]
    assert report["results"]["lift"]["costs"]["trainable_params"] == budget["gated_memory_params"]


def test_corpus_is_deterministic_and_answerable() -> None:
    def make(seed: int):
        return build_corpus(
            FICTION_AND_NEEDLES,
            corpus_tokens=1200,
            questions_per_task=3,
            count_tokens=_words,
            seed=seed,
        )

    corpus = make(7)
    assert corpus == make(7)
    assert corpus.text != make(8).text
    families = [family for family, _ in corpus.sections]
    assert sorted(families) == ["fiction"] * SECTIONS + ["needles"] * SECTIONS
    # every quarter of the corpus holds a stretch of every family (truncation sees all tasks)
    for index in range(SECTIONS):
        assert sorted(families[2 * index : 2 * index + 2]) == ["fiction", "needles"]
    assert 1000 <= _words(corpus.text) <= 1500
    for task in FICTION_AND_NEEDLES:
        assert sum(q.task == task for q in corpus.questions) == 3
    for question in corpus.questions:
        assert question.options[question.gold_option] == question.answers[0]
        assert len(set(question.options)) == len(question.options)
        assert len(question.options) == (2 if question.task == "fact-timeline" else 4)
        if question.task in ("fact-single", "needle-single", "needle-multikey"):
            assert question.answers[0] in corpus.text


def test_multihop_facts_lie_at_opposite_ends() -> None:
    corpus = build_corpus(
        ["fact-multihop", "needle-single"],
        corpus_tokens=800,
        questions_per_task=2,
        count_tokens=_words,
    )
    fiction = [text for family, text in corpus.sections if family == "fiction"]
    first_half, second_half = " ".join(fiction[:2]), " ".join(fiction[2:])
    # the whole first half of the haystack lies between the two halves of the fiction
    assert corpus.text.index(fiction[1]) < corpus.text.index(fiction[2])
    for question in (q for q in corpus.questions if q.task == "fact-multihop"):
        # the question names the hop-1 entity, whose fact is in the first half; the answer
        # (a fresh town or year) occurs only in the hop-2 fact, in the second half
        entity = re.search(r"the (\w+ \w+) born\?|where (\w+ \w+) was born", question.question)
        assert entity is not None
        assert next(g for g in entity.groups() if g) in first_half
        pattern = rf"\b{question.answers[0]}\b"
        assert re.search(pattern, second_half) and not re.search(pattern, first_half)


def test_hotpotqa_questions_come_with_their_paragraphs() -> None:
    pytest.importorskip("long_context_eval")
    corpus = build_corpus(
        ["hotpotqa"], corpus_tokens=100, questions_per_task=3, count_tokens=_words, seed=1
    )
    assert [family for family, _ in corpus.sections] == ["hotpotqa"] * SECTIONS
    assert len(corpus.questions) == 3
    assert all(q.answers[0].lower() not in ("yes", "no") for q in corpus.questions)


def test_text_metrics() -> None:
    assert exact_match("The Paris.", ["paris"]) == 1.0
    assert exact_match("Paris, France", ["Paris"]) == 0.0
    assert contains_metric("It is Paris, France", ["Paris"]) == 1.0
    assert token_f1("Paris France", ["Paris"]) == pytest.approx(2 / 3)
    assert token_f1("", ["Paris"]) == 0.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([], 95) is None


def test_cli_lists_match_the_harness() -> None:
    assert tuple(bench.METHOD_NAMES) == METHODS
    assert tuple(bench.TASK_NAMES) == TASKS


def test_full_profile_trains_each_variant_once() -> None:
    assert FULL.model == "smollm2-135m" and QUICK.model == "tiny-llama"
    assert FULL.corpus_tokens >= 4 * FULL.window
    estimate = estimate_cost(FULL)
    assert list(estimate.training_tokens) == ["lift", "lora", "pissa", "lift-no-qa", "lift-no-ctx"]
    assert estimate.training_tokens["lift-no-ctx"] < estimate.training_tokens["lift"]
    assert estimate_cost(FULL.with_overrides({"methods": ["base", "rag"]})).training_tokens == {}
    tuned = FULL.with_overrides({"lift": {"stage2_epochs": 1}})
    assert tuned.lift.stage2_epochs == 1 and tuned.lift.segment_length == FULL.lift.segment_length
    # a training's own overrides merge into the profile's: the quality profile's `lora` arm
    # keeps the library defaults apart from the field given
    timeline = QUALITY.with_overrides({"variant_overrides": {"lora": {"qa_timeline_pairs": True}}})
    config = timeline.training_config("lora")
    assert config.qa_timeline_pairs and config == QUALITY.training_config("lora").model_copy(
        update={"qa_timeline_pairs": True}
    )


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["bench", "--quick", "--methods", "lift,nope"])
    assert result.exit_code == 1
    assert "unknown method 'nope'" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["bench", "--profile", "nope"])
    assert result.exit_code == 1 and "quick, full, quality" in result.output
    (tmp_path / "bad.json").write_text('{"window": 4}')
    result = runner.invoke(app, ["bench", "--quick", "--config", str(tmp_path / "bad.json")])
    assert result.exit_code == 1 and "window" in result.output
    # inline, as `ingest --config` takes it
    result = runner.invoke(app, ["bench", "--quick", "--config", '{"window": 4}'])
    assert result.exit_code == 1 and "window" in result.output


@pytest.mark.parametrize("architecture", ["llama", "gemma3"])
def test_option_scores_match_a_full_forward(tiny, architecture: str) -> None:
    """Options continue from a copy of the prompt's cache: same numbers as one full pass each
    (gemma3's sliding-window layers included: the context is longer than its window)."""
    loaded = tiny(architecture)
    question, context = "Who keeps the lamp?", "The lamp is kept by Ilse Marrick. " * 6
    options = ["Ilse Marrick", "Tomas", "the harbour master of Kelby"]
    scores = option_logprobs(loaded, question, options, context=context)
    prefix = prompt_ids(loaded.tokenizer, question_prompt(question, context))
    for option, score in zip(options, scores, strict=True):
        ids = loaded.tokenizer(option, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = loaded.model(input_ids=torch.tensor([prefix + ids])).logits[0]
        logprobs = torch.log_softmax(logits[len(prefix) - 1 : -1].float(), dim=-1)
        expected = logprobs.gather(1, torch.tensor(ids).unsqueeze(1)).mean().item()
        assert score == pytest.approx(expected, abs=1e-4)


def test_ablation_adapters_sit_where_the_gated_memory_does(tiny) -> None:
    from lift_memory_bench.budget import lora_parameters_per_rank, matched_budget
    from lift_memory_bench.variants import matched_placement, variant_config

    from lift_memory.config import LiftConfig
    from lift_memory.gated_memory import GatedMemorySettings

    top = LiftConfig(gated_memory=GatedMemorySettings(top_layers=1))
    pissa = variant_config(top, "pissa", lora_rank=3)
    assert (pissa.lora.top_layers, pissa.lora.rank, pissa.lora.alpha) == (1, 3, 6)
    explicit = LiftConfig(gated_memory=GatedMemorySettings(layers=[1]))
    assert matched_placement(explicit).top_layers is None  # not expressible as "top K"

    loaded = tiny("llama")  # two decoder layers
    every = lora_parameters_per_rank(loaded.model, matched_placement(explicit))
    assert lora_parameters_per_rank(loaded.model, matched_placement(top)) * 2 == every
    budget = matched_budget(loaded, top)
    assert budget.lora_params == budget.lora_rank * every // 2
    assert 0.5 <= budget.lora_params / budget.gated_memory_params <= 2.0


def test_quick_profile_runs_the_retention_benchmark(quick_report) -> None:
    out, report, _ = quick_report
    routing = report["results"]["lift"]["routing"]
    outside, inside = routing["out_of_scope"], routing["in_scope"]
    assert outside["count"] == QUICK.routing_probes == len(outside["answers"])
    for side in ("memory", "auto", "soft"):
        for metric in ("identical_to_base", "exact", "f1", "accuracy"):
            value = outside[side][metric]
            assert value is None or 0.0 <= value <= 1.0, (side, metric)
    verified = outside["verified"]
    assert verified["checked"] >= 1 and verified["identical"] == verified["checked"]
    for row in outside["answers"]:  # the base route is the base model's answer
        if row["route"]["route"] == "base":
            assert row["auto"] == row["base"]
        else:
            assert row["auto"] == row["memory"]
    assert inside["count"] == len(report["questions"]) and 0 <= inside["routed_to_memory"] <= 1
    assert set(routing["unrelated_texts"]["by_text"]) == set(UNRELATED_TEXTS)
    hybrid = report["results"]["hybrid"]
    assert set(hybrid["router_arms"]) == {"memory", "retrieval", "combined"}
    assert hybrid["costs"]["policy"] == "CalibratedPolicy"
    markdown = (out / "report.md").read_text()
    assert "## Relevance routing: the retention benchmark" in markdown
    assert "## Hybrid router arms per task" in markdown


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The methods a bench run answers (rather than keeps from an earlier run), in order."""
    from lift_memory_bench.runner import BenchRunner

    names: list[str] = []
    evaluate = BenchRunner._evaluate

    def spy(self, method, *args):
        names.append(method.name)
        return evaluate(self, method, *args)

    monkeypatch.setattr(BenchRunner, "_evaluate", spy)
    return names


def test_a_rerun_answers_only_the_methods_not_finished(
    quick_report, tmp_path: Path, evaluated: list[str]
) -> None:
    """A run stopped in its last method loses nothing: a rerun into the same folder keeps the
    answers of every method that finished and answers the rest."""
    import shutil

    out, first, _ = quick_report
    again = tmp_path / "again"
    shutil.copytree(out, again)
    (again / "finished" / "base.json").unlink()  # as if the run had stopped in `base`
    home = out.parent / "home"
    result = CliRunner().invoke(app, ["bench", "--home", str(home), "--quick", "--out", str(again)])
    assert result.exit_code == 0, result.output
    not_ok = [m for m, r in first["results"].items() if r["status"] != "ok"]
    assert evaluated == ["base", *not_ok]
    report = json.loads((again / "report.json").read_text())
    # the estimate printed before the run leaves the kept methods out
    assert report["estimate"]["answered"] == sorted(set(QUICK.methods) - {"base", *not_ok})
    assert report["estimate"]["answers"] < first["estimate"]["answers"]
    assert "kept)" in result.output
    for method in QUICK.methods:
        if method == "base" or method in not_ok:
            assert "answers_reused" not in report["results"][method]
            continue
        kept = dict(report["results"][method])
        assert kept.pop("answers_reused") is True
        assert kept == first["results"][method]
        assert [q["replies"][method] for q in report["questions"]] == [
            q["replies"][method] for q in first["questions"]
        ]
    assert "were kept from an earlier run into this folder" in (again / "report.md").read_text()


def test_a_new_relevance_rule_recalibrates_a_reused_memory(
    quick_report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run into the same folder reuses the trained memories and their routing
    calibration, unless the relevance rule changed since: then the old threshold means nothing."""
    import shutil

    from llama_index.memory.lift import relevance_rule

    out, _, first_output = quick_report
    again = tmp_path / "again"
    shutil.copytree(out, again)
    assert "calibrating relevance routing" in first_output
    monkeypatch.setattr(
        relevance_rule, "RELEVANCE_RULE_VERSION", relevance_rule.RELEVANCE_RULE_VERSION + 1
    )
    home = out.parent / "home"
    result = CliRunner().invoke(app, ["bench", "--home", str(home), "--quick", "--out", str(again)])
    assert result.exit_code == 0, result.output
    assert "calibrating relevance routing" in result.output
    # the trainings are not redone, and the estimate says so before the run
    report = json.loads((again / "report.json").read_text())
    assert report["estimate"]["reused"] == sorted(QUICK.trainings())
    assert all(tokens == 0 for tokens in report["estimate"]["training_tokens"].values())
    assert all(f"{variant} reused" in result.output for variant in QUICK.trainings())
    for manifest in (again / "store").glob("memories/*/manifest.json"):
        routing = json.loads(manifest.read_text())["extra"].get("routing")
        if routing is not None:
            assert routing["bench_key"]["relevance_rule"] == relevance_rule.RELEVANCE_RULE_VERSION


def test_kept_answers_are_checked_and_a_damaged_record_is_answered_again(tmp_path: Path) -> None:
    from lift_memory_bench.finished_methods import FinishedMethods

    kept = FinishedMethods(tmp_path)
    assert kept.load("base", "k") is None
    kept.save("base", "k", {"status": "ok"}, {"q1": {"answer": "Paris"}})
    assert kept.load("base", "k") == ({"status": "ok"}, {"q1": {"answer": "Paris"}})
    assert kept.load("base", "other settings") is None
    (tmp_path / "finished" / "rag.json").write_text('{"key": "k"}')  # no result: damaged
    assert kept.load("rag", "k") is None
    (tmp_path / "finished" / "rag.json").write_text("{not json")
    assert kept.load("rag", "k") is None
    kept.clear()
    assert kept.load("base", "k") is None


def test_a_fresh_run_answers_everything_again_and_keeps_its_own_answers(
    quick_report, tmp_path: Path, evaluated: list[str]
) -> None:
    import shutil

    out, first, _ = quick_report
    again = tmp_path / "fresh"
    shutil.copytree(out, again)
    home = ["--home", str(out.parent / "home")]
    fresh = CliRunner().invoke(app, ["bench", *home, "--quick", "--out", str(again), "--fresh"])
    assert fresh.exit_code == 0, fresh.output
    assert evaluated == list(QUICK.methods)
    ok = [
        m
        for m, r in json.loads((again / "report.json").read_text())["results"].items()
        if r["status"] == "ok"
    ]
    evaluated.clear()
    rerun = CliRunner().invoke(app, ["bench", *home, "--quick", "--out", str(again)])
    assert rerun.exit_code == 0, rerun.output
    assert evaluated == [m for m in QUICK.methods if m not in ok]  # the fresh run's answers kept
