"""Answer scoring (lift_memory/scoring.py): whole words, numbers as numbers."""

from __future__ import annotations

import pytest

from lift_memory.scoring import (
    answer_agreement,
    contains_gold,
    exact_match,
    normalize_answer,
    token_f1,
)


def test_contains_matches_whole_words_only() -> None:
    assert contains_gold("It weighs 3 million tonnes.", ["lion"]) is False
    assert contains_gold("A spider has 14 legs.", ["4"]) is False
    assert contains_gold("They eat rice.", ["ice"]) is False
    assert contains_gold("The keeper is Edda Mirel.", ["Mirel"]) is True
    assert contains_gold("It was the Silver Heron!", ["silver heron"]) is True


def test_numbers_compare_as_numbers() -> None:
    assert contains_gold("They float three hundred and twelve lanterns.", ["312"]) is True
    assert contains_gold("They float 312 lanterns.", ["three hundred and twelve"]) is True
    assert contains_gold("It is forty-two kilometres away.", ["42"]) is True
    assert contains_gold("It is forty-one kilometres away.", ["42"]) is False
    assert normalize_answer("Eleven songs") == "11 songs"


def test_no_gold_means_unscored() -> None:
    assert contains_gold("anything", []) is None
    assert contains_gold("anything", ["", "  "]) is None


def test_exact_match_and_f1_are_squad_style() -> None:
    assert exact_match("The Paris.", ["paris"]) == 1.0
    assert exact_match("Paris, France", ["Paris"]) == 0.0
    assert token_f1("Paris France", ["Paris"]) == pytest.approx(2 / 3)
    assert token_f1("", ["Paris"]) == 0.0


def test_agreement() -> None:
    assert answer_agreement("Ilse Marrick.", "It is kept by Ilse Marrick") == 1.0
    assert answer_agreement("Ilse Marrick", "Tomas Marrick") == pytest.approx(0.5)
    assert answer_agreement("", "anything") == 0.0
