"""TopUpQAGenerator: primary first, then new questions from the fallback until n."""

from __future__ import annotations

from lift_memory.qa import ClozeQAGenerator, QAGenerator, QAPair, TopUpQAGenerator


class _Fixed:
    def __init__(self, name: str, pairs: list[QAPair]) -> None:
        self.name = name
        self.pairs = pairs
        self.asked: list[int] = []

    def generate(self, text: str, n: int) -> list[QAPair]:
        self.asked.append(n)
        return self.pairs[:n]


def _pairs(source: str, *questions: str) -> list[QAPair]:
    return [QAPair(q, "a", "e", source) for q in questions]


def test_tops_up_with_new_questions_only():
    primary = _Fixed("model", _pairs("model", "Q1?", "Q2?"))
    fallback = _Fixed("cloze", _pairs("cloze", "q1", "Q3?", "Q4?", "Q5?"))
    generator = TopUpQAGenerator(primary, fallback)
    assert isinstance(generator, QAGenerator)
    assert generator.name == "model+cloze"
    pairs = generator.generate("text", 4)
    assert [p.question for p in pairs] == ["Q1?", "Q2?", "Q3?", "Q4?"]
    assert [p.source for p in pairs] == ["model", "model", "cloze", "cloze"]
    assert primary.asked == [4] and fallback.asked == [4]


def test_fallback_not_called_when_primary_delivers():
    primary = _Fixed("model", _pairs("model", "Q1?", "Q2?", "Q3?"))
    fallback = _Fixed("cloze", _pairs("cloze", "X?"))
    assert len(TopUpQAGenerator(primary, fallback).generate("t", 2)) == 2
    assert fallback.asked == []
    assert TopUpQAGenerator(primary, fallback).generate("t", 0) == []


def test_with_real_cloze_fallback():
    text = "Edda Mirel keeps the lighthouse on Varnholm. The lighthouse was built in 1847."
    pairs = TopUpQAGenerator(_Fixed("model", []), ClozeQAGenerator()).generate(text, 3)
    assert len(pairs) == 3 and all(p.source == "cloze" and p.evidence in text for p in pairs)
