"""ClozeQAGenerator: natural wh-questions about facts, deterministic, spread over the corpus."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lift_memory.qa import ClozeQAGenerator, QAGenerator
from lift_memory.qa.cloze import spread_order
from lift_memory.qa.sentences import split_sentences
from lift_memory.qa.spans import answer_spans
from lift_memory.qa.text_match import normalize_whitespace
from lift_memory.qa.wh_questions import wh_question

STORY = """Edda Mirel keeps the lighthouse on Varnholm. The lighthouse was built in 1847.
In 1902, the lamp was replaced by Tomas Berg. The keeper rowed 12 miles to the mainland.
The island's first ship was named "Grey Gull". On 3 March 1911 a storm destroyed the pier.
Edda was born in Kestrel Bay. She has three brothers. The tower is 30 metres tall.
Dr. Anna Vell visited the island at 5 p.m. and paid $40 for the ferry.

Lighthouses need constant care. Nobody lives there in winter."""


def _question_for(sentence: str, answer: str, known=frozenset(), people=frozenset()) -> str | None:
    spans = answer_spans(sentence, known, people)
    (span,) = [s for s in spans if s.text(sentence) == answer]
    return wh_question(sentence, span, {s.start for s in spans if s.kind == "name"})


@pytest.mark.parametrize(
    ("sentence", "answer", "question"),
    [
        (
            "Edda Mirel keeps the lighthouse on Varnholm.",
            "Edda Mirel",
            "Who keeps the lighthouse on Varnholm?",
        ),
        ("The lighthouse was built in 1847.", "1847", "In what year was the lighthouse built?"),
        ("In 1847, the lighthouse was built.", "1847", "In what year was the lighthouse built?"),
        (
            "The keeper rowed 12 miles to the mainland.",
            "12",
            "The keeper rowed how many miles to the mainland?",
        ),
        (
            "On 3 March 1911 a storm destroyed the pier.",
            "3 March 1911",
            "A storm destroyed the pier on what date?",
        ),
        ("Edda Mirel was born in Kestrel Bay.", "Kestrel Bay", "Where was Edda Mirel born?"),
        ("The lamp was lit by Tomas Berg.", "Tomas Berg", "By whom was the lamp lit?"),
        ('The ship was named "Grey Gull".', "Grey Gull", "What was the ship named?"),
        ("The Northern Light sank in the bay.", "Northern Light", "What sank in the bay?"),
        ("Edda Mirel's dog sleeps all day.", "Edda Mirel", "Whose dog sleeps all day?"),
        ("She paid $40 for the ferry.", "$40", "She paid how much for the ferry?"),
        (
            "The tower stood for three centuries.",
            "three",
            "The tower stood for how many centuries?",
        ),
        # No do-support without a verb lexicon: the in-situ form is the honest output.
        (
            "The ferry leaves at 5 p.m. every day.",
            "5 p.m.",
            "The ferry leaves at what time every day?",
        ),
    ],
)
def test_natural_questions(sentence, answer, question):
    assert _question_for(sentence, answer) == question


def test_generator_protocol_and_basic_output():
    generator = ClozeQAGenerator()
    assert isinstance(generator, QAGenerator)
    assert generator.name == "cloze"
    pairs = generator.generate(STORY, 100)
    questions = [p.question for p in pairs]
    assert "Who keeps the lighthouse on Varnholm?" in questions
    assert "In what year was the lighthouse built?" in questions
    assert any(q.startswith("Fill in the blank: ") and "____" in q for q in questions)
    # Mostly natural questions, not just blanks.
    natural = [q for q in questions if not q.startswith("Fill in the blank")]
    assert len(natural) >= len(pairs) // 3
    assert all(q.endswith("?") for q in natural)
    assert len({q.casefold() for q in questions}) == len(questions)


def test_answers_are_spans_of_verbatim_evidence():
    text = STORY + "\nThe keeper, Anna\nVell, kept a log."  # a name wrapped over lines
    for pair in ClozeQAGenerator().generate(text, 200):
        assert pair.evidence in text
        assert pair.source == "cloze"
        assert pair.answer in normalize_whitespace(pair.evidence)
        assert pair.answer not in pair.question  # the question never gives the answer away
        if pair.question.startswith("Fill in the blank: "):
            blank = pair.question.removeprefix("Fill in the blank: ")
            assert blank.replace("____", pair.answer) == normalize_whitespace(pair.evidence)


def test_deterministic_and_seed_matters():
    first = ClozeQAGenerator(seed=3).generate(STORY, 15)
    assert first == ClozeQAGenerator(seed=3).generate(STORY, 15)
    assert len(first) == 15
    assert any(ClozeQAGenerator(seed=seed).generate(STORY, 15) != first for seed in range(4, 10))


def test_every_fact_sentence_is_asked_before_any_second_question():
    sentences_with_facts = [
        s
        for s in split_sentences(STORY)
        if s not in {"Lighthouses need constant care.", "Nobody lives there in winter."}
    ]
    count = len(sentences_with_facts)
    pairs = ClozeQAGenerator().generate(STORY, count)
    assert sorted(p.evidence for p in pairs) == sorted(sentences_with_facts)


def test_small_budget_is_spread_over_the_whole_corpus():
    text = " ".join(f"Keeper number {i} arrived in {1800 + i}." for i in range(100))
    pairs = ClozeQAGenerator().generate(text, 5)
    positions = sorted(text.index(p.evidence) for p in pairs)
    assert len(positions) == 5
    assert positions[0] < len(text) * 0.25 and positions[-1] > len(text) * 0.75


def test_spread_order_is_a_permutation_with_spread_prefixes():
    for count in (1, 2, 7, 64, 101):
        order = spread_order(count, 0.37)
        assert sorted(order) == list(range(count))
    assert sorted(spread_order(16)[:4]) == [0, 4, 8, 12]


def test_edge_cases():
    generator = ClozeQAGenerator()
    assert generator.generate("", 5) == []
    assert generator.generate(STORY, 0) == []
    assert generator.generate("nothing to ask about here at all.", 5) == []
    assert len(generator.generate(STORY, 3)) == 3
    with pytest.raises(ValueError):
        ClozeQAGenerator(cloze_fraction=2.0)


_VOCABULARY = (
    "The keeper Edda Mirel Varnholm built in 1847 on 3 March 1911 rowed 12 miles "
    '"Grey Gull" named Dr. Vell paid $40 at 5 p.m. three brothers , . ? ! \n \n\n the of'
)
_WORDS = st.sampled_from(_VOCABULARY.split(" "))


@settings(max_examples=100, deadline=None)
@given(words=st.lists(_WORDS, max_size=60), noise=st.text(max_size=80), n=st.integers(0, 30))
def test_never_raises_and_pairs_are_grounded(words, noise, n):
    text = " ".join(words) + noise
    pairs = ClozeQAGenerator().generate(text, n)
    assert len(pairs) <= n
    for pair in pairs:
        assert pair.evidence in text
        assert pair.answer and pair.answer in normalize_whitespace(pair.evidence)
        assert pair.question.strip()
