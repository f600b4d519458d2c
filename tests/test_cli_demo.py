"""`make demo`'s assets and orchestration, without training the real model (the demo itself is
run by hand: about ten minutes on two CPU cores)."""

from __future__ import annotations

import pytest
from lift_memory_cli import demo
from lift_memory_cli.app import app
from lift_memory_cli.core.questions import read_questions
from typer.testing import CliRunner

from lift_memory.config import LiftConfig


def test_demo_corpus_is_a_fictional_one_to_two_thousand_tokens() -> None:
    text = demo.CORPUS.read_text(encoding="utf-8")
    tokens = len(text) / demo.CHARS_PER_TOKEN
    assert 800 <= tokens <= 2000
    for fact in ("Varnholm", "Orla Fenwick", "Edda Mirel", "Silver Heron", "Kettle Tor"):
        assert fact in text


def test_every_demo_question_has_its_gold_answer_in_the_corpus_or_is_the_control() -> None:
    text = demo.CORPUS.read_text(encoding="utf-8").lower()
    questions = read_questions(demo.QUESTIONS)
    assert 6 <= len(questions) <= 12
    about_corpus = [q for q in questions if any(a.lower() in text for a in q.answers)]
    assert len(about_corpus) == len(questions) - 1  # one general-knowledge control question
    assert all(q.answers for q in questions)


def test_demo_is_expected_to_train_with_the_library_defaults_in_about_a_quarter_hour() -> None:
    model, config_path = demo._settings()
    assert model is None and config_path is None  # no pinned recipe: what users get
    corpus_tokens = round(len(demo.CORPUS.read_text()) / demo.CHARS_PER_TOKEN)
    expected = demo.expected_training_tokens(corpus_tokens, {})
    minutes = expected / demo.train_tokens_per_s(LiftConfig()) / 60
    # plus loading, QA generation, calibration, compare; the demo's last run trained 64k tokens
    # and probed its facts after 5 epochs in ~6 min; ~109k work-tokens expected (the 12/05 fit)
    assert 3 <= minutes <= 16, minutes
    # the maximum has every stage-2 epoch run on every fact; learn_until stops far earlier
    assert demo.estimate_training_tokens(corpus_tokens, {}) > 2 * expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [("missing", ["ingest"]), ("complete", []), ("incomplete", ["ingest", "--resume"])],
)
def test_demo_runs_ingest_then_compare(monkeypatch, tmp_path, state, expected) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(demo, "_run", lambda _console, args: calls.append(args))
    monkeypatch.setattr(demo, "_existing_memory", lambda _home, _config: (state, True))
    monkeypatch.setenv("LIFT_MEMORY_HOME", str(tmp_path))
    monkeypatch.delenv("DEMO_FRESH", raising=False)
    demo.main()
    commands = [[a for a in args if a in ("ingest", "compare", "--resume")] for args in calls]
    assert commands[:-1] == ([expected] if expected else [])
    assert commands[-1] == ["compare"]
    compare = calls[-1]
    assert compare[compare.index("--modes") + 1] == "base,memory,rag,hybrid,auto"
    assert compare[compare.index("--report") + 1].endswith("demo")
    # the command lines the demo runs are valid for the CLI
    for args in calls:
        command = args[args.index("--home") + 2]
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0
        for word in args:
            if word.startswith("--") and word != "--home":
                assert word in result.stdout, word


def test_existing_memory_detection(tmp_path, monkeypatch) -> None:
    assert demo._existing_memory(tmp_path, {}) == ("missing", False)
    (tmp_path / "memories" / demo.NAME).mkdir(parents=True)  # unreadable: replaced
    assert demo._existing_memory(tmp_path, {}) == ("different", False)
