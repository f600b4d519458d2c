"""The "facts" QA generator: every fact of the corpus asked several ways, offline and model-free.

`facts.py` finds the facts (spaCy), `fact_questions.py` phrases them; this module turns them into
training pairs and plain-text augmentations:

- :class:`FactQAGenerator`: up to ``per_fact`` phrasings per fact, each a :class:`QAPair` whose
  ``reply`` is the answer as a short sentence, so the pair count scales with the corpus's facts;
- :func:`fact_statements`: each paragraph restated as its facts' short sentences, and the
  paragraph with its sentences in another order — the same knowledge in other surface forms,
  trained as plain text next to the segments.
"""

from __future__ import annotations

import random

from lift_memory.qa.base import QAPair

DEFAULT_PER_FACT = 4


class FactQAGenerator:
    """Questions about every fact of the text (no model, no network).

    ``generate(text, n)`` returns every fact's first ``per_fact`` phrasings, capped at ``n``
    pairs in total when ``n`` > 0 (facts are interleaved first, so a cap keeps every fact).
    """

    name = "facts"

    def __init__(self, per_fact: int = DEFAULT_PER_FACT) -> None:
        if per_fact < 1:
            raise ValueError("per_fact must be at least 1")
        self.per_fact = per_fact

    def pairs_per_fact(self, text: str) -> list[list[QAPair]]:
        """The pairs of each fact, in corpus order."""
        from lift_memory.qa.fact_questions import phrasings
        from lift_memory.qa.facts import find_facts

        grouped = []
        for sentence, span, fact in find_facts(text):
            chosen = phrasings(sentence, span, fact.label)[: self.per_fact]
            pairs = [
                QAPair(p.question, p.answer, fact.sentence, "facts", reply=p.reply) for p in chosen
            ]
            if pairs:
                grouped.append(pairs)
        return grouped

    def generate(self, text: str, n: int) -> list[QAPair]:
        grouped = self.pairs_per_fact(text)
        rounds = max((len(g) for g in grouped), default=0)
        interleaved = [g[i] for i in range(rounds) for g in grouped if i < len(g)]
        return interleaved[:n] if n > 0 else interleaved


def fact_statements(text: str, seed: int = 0) -> list[str]:
    """Plain-text augmentations of ``text``: per paragraph, its facts' short sentences, and
    its sentences in a shuffled order (paragraphs of one sentence are left out)."""
    from lift_memory.qa.fact_questions import phrasings
    from lift_memory.qa.facts import english_pipeline, find_facts, is_prose, paragraphs

    rng = random.Random(seed)
    restated: dict[int, list[str]] = {}
    for sentence, span, fact in find_facts(text):
        for phrasing in phrasings(sentence, span, fact.label):
            sentences = restated.setdefault(fact.paragraph, [])
            if phrasing.kind != "in_situ" and phrasing.reply not in sentences:
                sentences.append(phrasing.reply)
    texts = [" ".join(sentences) for _, sentences in sorted(restated.items())]
    for doc in english_pipeline().pipe(paragraphs(text)):
        sentences = [s.text.strip() for s in doc.sents if is_prose(s)]
        if len(sentences) > 1:
            shuffled = sentences[:]
            while shuffled == sentences:
                rng.shuffle(shuffled)
            texts.append(" ".join(shuffled))
    return [t for t in texts if t.strip()]
