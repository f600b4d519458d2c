"""A sentence's first word inside a question (lift_memory/qa/casing.py) over spaCy's parse."""

from __future__ import annotations

from lift_memory.qa import FactQAGenerator
from lift_memory.qa.casing import keeps_capital
from lift_memory.qa.facts import english_pipeline


def first_token(sentence: str):
    return english_pipeline()(sentence)[0]


def test_an_invented_name_keeps_its_capital_a_common_word_loses_it() -> None:
    # spaCy tags these unseen one-word names as a noun, an adjective and an adverb
    for name in ("Tunhaven", "Remmoor", "Keckmere"):
        assert first_token(f"{name} was founded in 1424.").pos_ != "PROPN"
        assert keeps_capital(first_token(f"{name} was founded in 1424."))
    for sentence in ("The school was built in 1902.", "Fishermen use the old harbour."):
        assert not keeps_capital(first_token(sentence))
    assert keeps_capital(first_token("Orla Fenwick built the tower."))


def test_questions_spell_the_name_as_the_corpus_does() -> None:
    pairs = FactQAGenerator(per_fact=4).generate(
        "Tunhaven was founded in 1424. The school opened in 1902.", 0
    )
    questions = [p.question for p in pairs]
    assert "In what year was Tunhaven founded?" in questions
    assert not any("tunhaven" in q for q in questions)
    assert any("the school" in q for q in questions)
