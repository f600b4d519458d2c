"""parse_qa_output: JSON, JSON lines and Q:/A:/E: blocks; evidence must be verbatim."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from lift_memory.qa import QAPair, evidence_in_text, parse_qa_output
from lift_memory.qa.text_match import normalize_whitespace

CORPUS = (
    "Edda Mirel keeps the lighthouse on Varnholm.\n"
    "The lighthouse was built in 1847.  It has\n   ninety-two steps."
)


def test_json_list_in_code_fence_with_prose():
    raw = (
        "Sure! Here are the pairs:\n```json\n"
        + json.dumps(
            [
                {
                    "question": "Who keeps the lighthouse?",
                    "answer": "Edda Mirel",
                    "evidence": "Edda Mirel keeps the lighthouse on Varnholm.",
                },
                {
                    "question": "When was it built?",
                    "answer": 1847,  # numbers are accepted as answers
                    "evidence": "The lighthouse was built in 1847.",
                },
            ]
        )
        + "\n```\nHope this helps."
    )
    pairs = parse_qa_output(raw, CORPUS, "test")
    assert [p.answer for p in pairs] == ["Edda Mirel", "1847"]
    assert all(isinstance(p, QAPair) and p.source == "test" for p in pairs)


def test_json_lines_and_wrapper_object_and_key_aliases():
    raw = "\n".join(
        [
            json.dumps({"q": "Who keeps it?", "a": "Edda", "e": "Edda Mirel keeps"}),
            json.dumps(
                {
                    "qa_pairs": [
                        {"Question": "How many steps?", "Answer": "92", "quote": "ninety-two"}
                    ]
                }
            ),
        ]
    )
    pairs = parse_qa_output(raw, CORPUS, "s")
    assert [(p.question, p.answer) for p in pairs] == [
        ("Who keeps it?", "Edda"),
        ("How many steps?", "92"),
    ]


def test_block_format_variants():
    raw = """1. **Q:** Who keeps the lighthouse?
**A:** Edda Mirel
**E:** "Edda Mirel keeps the lighthouse on Varnholm."

Question 2: How many steps does it have?
Answer: ninety-two
Evidence: It has
ninety-two steps.
Q: Where is the lighthouse? A: On Varnholm E: the lighthouse on Varnholm
"""
    pairs = parse_qa_output(raw, CORPUS, "m")
    assert [p.answer for p in pairs] == ["Edda Mirel", "ninety-two", "On Varnholm"]
    # Evidence comes back as the verbatim corpus passage (original whitespace kept).
    assert pairs[1].evidence == "It has\n   ninety-two steps."
    assert all(p.evidence in CORPUS for p in pairs)


def test_drops_fake_evidence_empty_fields_and_duplicates():
    raw = json.dumps(
        [
            {"question": "Who?", "answer": "Edda", "evidence": "Edda Mirel keeps"},
            {"question": "WHO? ", "answer": "Someone", "evidence": "Edda Mirel keeps"},
            {"question": "Fake?", "answer": "x", "evidence": "The lighthouse was built in 1850."},
            {"question": "", "answer": "x", "evidence": "Edda Mirel keeps"},
            {"question": "No answer?", "answer": "  ", "evidence": "Edda Mirel keeps"},
            {"question": "No evidence?", "answer": "y"},
            {"question": "Quotes only?", "answer": "y", "evidence": '""'},
        ]
    )
    pairs = parse_qa_output(raw, CORPUS, "s")
    assert [(p.question, p.answer) for p in pairs] == [("Who?", "Edda")]


def test_garbage_and_non_string_input_give_nothing():
    assert parse_qa_output("", CORPUS, "s") == []
    assert parse_qa_output("[[[[{{{{ ]]]] nonsense Q: A: E:", CORPUS, "s") == []
    assert parse_qa_output("[" * 5000, CORPUS, "s") == []
    assert parse_qa_output(None, CORPUS, "s") == []  # type: ignore[arg-type]


def test_evidence_in_text():
    assert evidence_in_text("built in\n 1847", CORPUS)
    assert evidence_in_text("“Edda Mirel keeps”", CORPUS)
    assert not evidence_in_text("built in 1848", CORPUS)
    assert not evidence_in_text("   ", CORPUS)
    assert not evidence_in_text('"', CORPUS)


_PIECE = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(raw=st.text(max_size=300), corpus=st.text(max_size=200))
def test_parse_never_raises_and_evidence_is_in_corpus(raw, corpus):
    for pair in parse_qa_output(raw, corpus, "h"):
        assert pair.evidence in corpus
        assert pair.question.strip() and pair.answer.strip()


@settings(max_examples=150, deadline=None)
@given(data=st.data(), corpus=st.text(min_size=1, max_size=200))
def test_structured_output_round_trips_only_verbatim_evidence(data, corpus):
    records = []
    for index in range(data.draw(st.integers(0, 4))):
        if data.draw(st.booleans()):
            start = data.draw(st.integers(0, len(corpus) - 1))
            end = data.draw(st.integers(start + 1, len(corpus)))
            evidence = corpus[start:end]
        else:
            evidence = data.draw(_PIECE)
        records.append(
            {
                "question": f"Question {index} {data.draw(_PIECE)}",
                "answer": "a",
                "evidence": evidence,
            }
        )
    as_blocks = "\n".join(
        f"Q: {r['question']}\nA: {r['answer']}\nE: {r['evidence']}" for r in records
    )
    as_json = data.draw(st.booleans())
    pairs = parse_qa_output(json.dumps(records) if as_json else as_blocks, corpus, "h")
    if as_json:
        # Nothing verbatim is lost: every record whose evidence is really in the corpus survives.
        expected = [r["question"] for r in records if evidence_in_text(r["evidence"], corpus)]
        assert [p.question for p in pairs] == [
            normalize_whitespace(q).strip("*_ ") for q in expected
        ]
    normalized = normalize_whitespace(corpus)
    for pair in pairs:
        assert pair.evidence in corpus
        assert normalize_whitespace(pair.evidence) in normalized
    keys = [p.question.casefold() for p in pairs]
    assert len(keys) == len(set(keys))
