"""The bench's measuring instruments on their own: timeline answers scored by the option they
pick, bootstrap confidence intervals, and perplexity damage over texts of several genres."""

from __future__ import annotations

import random

import numpy as np
import pytest
from lift_memory_bench.bootstrap import (
    interval,
    relative_drop,
    relative_drop_interval,
    stratified_interval,
)
from lift_memory_bench.generic import GENERIC_PROBES, GENERIC_QUESTIONS
from lift_memory_bench.metrics import question_scores
from lift_memory_bench.option_choice import chosen_option
from lift_memory_bench.perplexity_damage import perplexity_damage, text_perplexities
from lift_memory_bench.profiles import QUALITY, BenchProfile
from lift_memory_bench.tasks.fiction import generate_fiction
from lift_memory_bench.tasks.needles import generate_needles
from lift_memory_bench.tasks.question import make_question
from lift_memory_bench.unrelated_texts import UNRELATED_TEXTS

from lift_memory.retention import GENERIC_PASSAGES

ORVEL, BRIN = "Orvel Tamsk", "Brin Kald"
TIMELINE = make_question(
    random.Random(0),
    "fact-timeline-1",
    "fact-timeline",
    f"Which happened first: {ORVEL} crossing the Vesk Sea, or {BRIN} founding the Kell Guild?",
    ORVEL,
    [BRIN],
    scored_by_choice=True,
)


def _words(text: str) -> int:
    return len(text.split())


@pytest.mark.parametrize(
    ("answer", "picked"),
    [
        (f"{ORVEL}.", ORVEL),  # names the gold candidate only
        (f"{ORVEL} crossed the Vesk Sea first.", ORVEL),
        (f"{BRIN}.", BRIN),  # the other candidate
        (TIMELINE.question, None),  # an echo names both
        (f"{ORVEL} crossing the Vesk Sea, or {BRIN} founding the Kell Guild", None),
        ("The Vesk Sea crossing.", None),  # names neither
        ("Orvel Tamskson did.", None),  # whole words only
    ],
)
def test_timeline_answers_score_by_the_option_they_pick(answer: str, picked: str | None) -> None:
    scores = question_scores(answer, TIMELINE)
    expected = None if picked is None else TIMELINE.options.index(picked)
    assert scores["text_choice"] == expected
    assert scores["contains"] == float(picked == ORVEL)
    if picked == ORVEL:
        assert scores["f1"] > 0.0
    else:  # an echo shares the gold words, but earns nothing
        assert scores["f1"] == 0.0 and scores["exact_match"] == 0.0


def test_an_echo_used_to_pass_on_contains_and_other_questions_still_do() -> None:
    from lift_memory_bench.metrics import answer_scores

    assert answer_scores(TIMELINE.question, TIMELINE.answers)["contains"] == 1.0  # the old way
    plain = make_question(random.Random(0), "q", "fact-single", "Who?", ORVEL, [BRIN])
    assert not plain.scored_by_choice
    assert question_scores(f"It was {ORVEL}, not {BRIN}.", plain)["contains"] == 1.0
    assert "text_choice" not in question_scores(ORVEL, plain)


def test_chosen_option_needs_exactly_one_named_option() -> None:
    options = ("Ilse Marrick", "Tomas Brand")
    assert chosen_option("Tomas Brand, of course", options) == 1
    assert chosen_option("ilse marrick", options) == 0  # normalised
    assert chosen_option("Ilse Marrick and Tomas Brand", options) is None
    assert chosen_option("nobody", options) is None


def test_timeline_questions_are_scored_by_choice() -> None:
    fiction = generate_fiction(
        random.Random(3), single=2, multihop=2, timeline=3, target_tokens=200, count_tokens=_words
    )
    by_task = {q.task: q.scored_by_choice for q in fiction.questions}
    assert by_task == {"fact-single": False, "fact-multihop": False, "fact-timeline": True}
    for question in fiction.questions:
        if question.task == "fact-timeline":  # both candidates are in the question
            assert all(option in question.question for option in question.options)


def test_bootstrap_interval_is_seeded_and_brackets_the_mean() -> None:
    values = [1.0] * 15 + [0.0] * 9  # 62.5 % of 24 questions
    low, high = interval(values, seed=4)
    assert interval(values, seed=4) == (low, high)
    assert 0.0 <= low < np.mean(values) < high <= 1.0
    # a binomial proportion of 24: the 95 % interval spans roughly ±2 standard errors
    standard_error = np.sqrt(0.625 * 0.375 / 24)
    assert (high - low) == pytest.approx(4 * standard_error, rel=0.25)
    # more questions, a narrower interval
    low4, high4 = interval(values * 4, seed=4)
    assert high4 - low4 < high - low
    assert interval([1.0] * 10) == (1.0, 1.0)  # no variation, no width
    assert interval([1.0]) is None  # one question cannot be resampled
    assert interval(values, resamples=0) is None


def test_stratified_interval_is_over_the_mean_of_task_means() -> None:
    tasks = [[1.0] * 24, [0.0] * 24, [1.0, 0.0] * 12]
    low, high = stratified_interval(tasks)
    assert low <= 0.5 <= high and high - low < 0.2  # two tasks have no variance
    assert stratified_interval([[1.0, 0.0], [1.0]]) is None


def test_relative_drop_and_its_paired_interval() -> None:
    base = [1.0] * 50 + [0.0] * 50
    lost_ten = [1.0] * 40 + [0.0] * 60  # ten of the base's fifty lost, nothing gained
    assert relative_drop(lost_ten, base) == pytest.approx(0.2)
    assert relative_drop(base, base) == 0.0 and relative_drop(base, [0.0] * 100) is None
    low, high = relative_drop_interval(lost_ten, base, resamples=2000, seed=1)
    assert 0.0 < low < 0.2 < high < 0.4
    assert relative_drop_interval(lost_ten, base, seed=1) == relative_drop_interval(
        lost_ten, base, seed=1
    )
    # paired: the same answers scored twice differ on no question, so the interval is a point
    assert relative_drop_interval(base, base) == (0.0, 0.0)
    assert relative_drop_interval([1.0], [1.0]) is None  # one question: no interval


def test_the_generic_probes_are_the_measure_and_the_old_sixteen_kept_apart() -> None:
    assert len(GENERIC_PROBES) == 110 and len(GENERIC_QUESTIONS) == 16
    assert BenchProfile().generic_questions == len(GENERIC_PROBES)
    assert QUALITY.generic_questions == len(GENERIC_PROBES)
    # the old questions whose template nothing trains on are among the probes (the Red Planet)
    assert {g.question for g in GENERIC_QUESTIONS} & {p.question for p in GENERIC_PROBES}


def test_unrelated_texts_are_several_other_genres() -> None:
    assert len(UNRELATED_TEXTS) >= 5
    for genre, text in UNRELATED_TEXTS.items():
        assert 80 <= len(text.split()) <= 150, genre
        assert text not in GENERIC_PASSAGES
        assert not any(passage[:40] in text for passage in GENERIC_PASSAGES)


def test_perplexity_damage_on_every_text(tiny) -> None:
    loaded = tiny("llama")
    base = text_perplexities(loaded)
    assert list(base) == list(UNRELATED_TEXTS) and all(v > 1.0 for v in base.values())
    unchanged = perplexity_damage(base, base)
    assert unchanged["perplexity_ratio"] == pytest.approx(1.0)
    assert unchanged["perplexity_ratio_max"] == pytest.approx(1.0)

    damaged = {genre: value * (2.0 if genre == "verse" else 1.0) for genre, value in base.items()}
    summary = perplexity_damage(damaged, base)
    assert summary["perplexity_by_text"]["verse"]["ratio"] == pytest.approx(2.0)
    assert summary["perplexity_by_text"]["code"]["ratio"] == pytest.approx(1.0)
    assert summary["perplexity_ratio"] == pytest.approx(1 + 1 / len(base))  # the mean
    assert summary["perplexity_ratio_max"] == pytest.approx(2.0)


def test_needles_scale_past_twenty_questions_and_keep_small_haystacks() -> None:
    pieces, questions = generate_needles(
        random.Random(2), single=24, multikey=24, group_size=2, target_tokens=0, count_tokens=_words
    )
    keys = [q.question for q in questions]
    assert len(questions) == 48 and len(set(keys)) == 48
    # up to twenty needles, the keys come from the original twenty nouns, as they always did
    _, small = generate_needles(
        random.Random(2), single=6, multikey=6, group_size=4, target_tokens=0, count_tokens=_words
    )
    from lift_memory_bench.tasks import needles

    original = set(needles._NOUNS)
    assert all(q.question.rsplit("-", 1)[1].rstrip("?") in original for q in small)
