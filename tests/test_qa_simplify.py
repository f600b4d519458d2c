"""Restating a sentence's modifiers as sentences of their own (`lift_memory/qa/simplify.py`), so
that the facts inside them are asked as a reader would ask them."""

from __future__ import annotations

import pytest

from lift_memory.config import LiftConfig
from lift_memory.qa import FactQAGenerator
from lift_memory.qa.fact_questions import phrasings
from lift_memory.qa.facts import english_pipeline, find_facts
from lift_memory.qa.simplify import resolve_pronoun, simpler_sentences, subject_phrase


@pytest.fixture(scope="module", autouse=True)
def _pipeline() -> None:
    pytest.importorskip("spacy")
    english_pipeline()


def sentence(text: str):
    return next(iter(english_pipeline()(text).sents))


def restated(text: str) -> list[str]:
    return simpler_sentences(sentence(text))


def test_a_relative_clause_becomes_a_sentence_about_its_antecedent() -> None:
    out = restated(
        "The captain of the Silver Heron is Jonas Brekk, who has made the crossing more than "
        "two thousand times."
    )
    assert "Jonas Brekk has made the crossing more than two thousand times." in out
    assert "The captain of the Silver Heron is Jonas Brekk." in out


def test_an_object_relative_pronoun_is_replaced_in_place() -> None:
    out = restated(
        "The strongest storm on record, which the islanders still call the Grey Week, struck "
        "in January 1976."
    )
    assert "The islanders still call the strongest storm on record the Grey Week." in out
    assert "The strongest storm on record struck in January 1976." in out


def test_participles_and_appositions_become_copular_sentences() -> None:
    assert "The island's bakery is run by Tomas Quill." in restated(
        "The island's bakery, run by Tomas Quill, is famous for its blue plum bread."
    )
    out = restated("The highest point of the island is Kettle Tor, a granite hill 214 metres high.")
    assert "Kettle Tor is a granite hill 214 metres high." in out
    assert "Kettle Tor is 214 metres high." in out  # the measure said of the thing itself


def test_coordinated_clauses_are_split() -> None:
    out = restated(
        "Storm puffins nest on the northern cliffs from May to August, and grey seals rest on "
        "the beach at Saltvik."
    )
    assert out == [
        "Storm puffins nest on the northern cliffs from May to August.",
        "Grey seals rest on the beach at Saltvik.",
    ]


def test_a_restrictive_clause_of_a_quantified_noun_is_not_restated() -> None:
    # "every ship that has called at Ostvik" is not "every ship has called at Ostvik"
    out = restated("The owner keeps a list of every ship that has called at Ostvik since 1950.")
    assert not any(s.startswith("Every ship") for s in out)


def test_a_simple_sentence_has_no_restatement() -> None:
    assert restated("Monks from the mainland built the chapel around the year 1130.") == []


def test_a_leading_it_is_named_by_the_previous_subject() -> None:
    antecedent = subject_phrase(sentence("The tower stands on the western cliffs."))
    assert antecedent == "The tower"
    lamp = sentence("Its lamp can be seen from forty-two kilometres away.")
    assert resolve_pronoun(lamp, antecedent) == (
        "The tower's lamp can be seen from forty-two kilometres away."
    )
    # a person is not an "it"
    assert subject_phrase(sentence("Edda Mirel keeps a grey parrot.")) is None
    assert resolve_pronoun(sentence("The tower is old."), antecedent) is None


def test_measures_and_weekdays_get_a_readers_question() -> None:
    def asked(text: str, answer: str) -> list[str]:
        parsed = sentence(text)
        for span in parsed.ents:
            if span.text == answer:
                return [p.question for p in phrasings(parsed, span, span.label_)]
        raise AssertionError(f"{answer!r} not found in {text!r}")

    assert "How high is Kettle Tor?" in asked("Kettle Tor is 214 metres high.", "214 metres")
    assert "From how far away can the tower's lamp be seen?" in asked(
        "The tower's lamp can be seen from forty-two kilometres away.", "forty-two kilometres"
    )
    assert "How long is the island?" in asked(
        "The island is eleven kilometres long and three kilometres wide.", "eleven kilometres"
    )
    facts = find_facts("Visitors may climb the tower on Sunday.")
    (sunday,) = [(s, span, f) for s, span, f in facts if f.answer == "Sunday"]
    assert sunday[2].label == "DATE"
    assert "On which day may visitors climb the tower?" in [
        p.question for p in phrasings(sunday[0], sunday[1], "DATE")
    ]


def test_restated_facts_join_their_corpus_sentence() -> None:
    text = "The highest point of the island is Kettle Tor, a granite hill 214 metres high."
    facts = find_facts(text)
    assert any(f.restated for _, _, f in facts)
    assert all(f.sentence == text for _, _, f in facts)  # the evidence stays the corpus
    assert not any(f.restated for _, _, f in find_facts(text, restate=False))
    groups = FactQAGenerator(per_fact=4, restate=True).pairs_per_fact(text)
    height = next(g for g in groups if g[0].answer == "214 metres")
    # the natural question first; the in-situ one only after it
    assert height[0].question == "How high is Kettle Tor?"
    assert height[-1].question.endswith("a granite hill how many metres high?")
    assert all(p.evidence == text for p in height)


def test_restatements_are_asked_only_when_asked_for() -> None:
    """Off by default (LiftConfig.qa_restate_modifiers): the in-situ question asks the height."""
    text = "The highest point of the island is Kettle Tor, a granite hill 214 metres high."
    plain = FactQAGenerator(per_fact=4).generate(text, 0)
    assert "How high is Kettle Tor?" not in {p.question for p in plain}
    restated = FactQAGenerator(per_fact=4, restate=True).generate(text, 0)
    assert "How high is Kettle Tor?" in {p.question for p in restated}
    assert not LiftConfig().qa_restate_modifiers
