"""A deterministic, model-free QA generator: wh/cloze questions about facts in each sentence.

Tiny models cannot write useful QA pairs, yet LIFT's auxiliary QA stage needs them
(docs/design.md §1.3). Dates, numbers, names and quoted terms are the facts a reader is usually
asked about, and a question built from the sentence itself is always answerable from verifiable
evidence.
"""

from __future__ import annotations

import random
import re

from lift_memory.qa.base import QAPair
from lift_memory.qa.parsing import question_key
from lift_memory.qa.sentences import sentence_spans
from lift_memory.qa.spans import (
    AnswerSpan,
    answer_spans,
    is_sentence_initial,
    looks_like_person,
    name_runs,
    previous_word,
)
from lift_memory.qa.text_match import normalize_whitespace
from lift_memory.qa.wh_questions import cloze_question, wh_question

# Sentences longer than this make rambling questions; shorter ones are headings or fragments.
_MAX_SENTENCE_WORDS = 80
_MIN_SENTENCE_WORDS = 4
# A prose sentence ends in terminal punctuation (maybe inside quotes/brackets); table rows and
# headings do not, and questions built from them read as noise.
_PROSE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def is_prose_sentence(sentence: str) -> bool:
    """True for a sentence worth asking about: mostly words, sensible length, proper ending."""
    tokens = sentence.split()
    if not _MIN_SENTENCE_WORDS <= len(tokens) <= _MAX_SENTENCE_WORDS:
        return False
    if not _PROSE_END.search(sentence):
        return False
    wordy = sum(1 for token in tokens if any(char.isalpha() for char in token))
    return wordy >= 0.6 * len(tokens)


_WH_WORDS = frozenset({"who", "whom", "whose", "what", "which", "where", "when", "how"})


def _opens_with_wh(question: str) -> bool:
    """True for "Who ...?", "In what year ...?"; False for in-situ "... how many miles?"."""
    return any(word.lower() in _WH_WORDS for word in question.split()[:2])


def _van_der_corput(index: int) -> float:
    """The index-th point of the base-2 van der Corput sequence (0, .5, .25, .75, ...)."""
    value, denominator = 0.0, 1.0
    while index:
        denominator *= 2
        index, bit = divmod(index, 2)
        value += bit / denominator
    return value


def spread_order(count: int, offset: float = 0.0) -> list[int]:
    """A permutation of ``range(count)`` whose every prefix is spread evenly over the range."""
    order: list[int] = []
    seen: set[int] = set()
    index = 0
    while len(order) < count:
        position = int(((_van_der_corput(index) + offset) % 1.0) * count)
        position = min(position, count - 1)
        if position not in seen:
            seen.add(position)
            order.append(position)
        index += 1
    return order


def _corpus_names(sentences: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Words capitalised mid-sentence anywhere (so names), and words of person-like names."""
    known: set[str] = set()
    person: set[str] = set()
    for sentence in sentences:
        for start, _end, words in name_runs(sentence):
            if not is_sentence_initial(sentence, start) or len(words) > 1:
                known.update(words)
            if len(words) > 1 and looks_like_person(words, previous_word(sentence, start)):
                person.update(words)
    return frozenset(known), frozenset(person)


class ClozeQAGenerator:
    """Wh-questions (and some fill-in-the-blank) about dates, numbers, names and quoted terms.

    Deterministic for a given ``(text, n, seed)``. Pairs are spread over the corpus: every
    sentence with a fact gets a question before any sentence gets a second, and when ``n`` is
    smaller than the number of such sentences they are picked evenly across the text.
    """

    name = "cloze"

    def __init__(self, seed: int = 0, cloze_fraction: float = 0.25) -> None:
        if not 0.0 <= cloze_fraction <= 1.0:
            raise ValueError("cloze_fraction must be between 0 and 1")
        self.seed = seed
        self.cloze_fraction = cloze_fraction

    def _candidates(self, index: int, sentence: str, spans: list[AnswerSpan]) -> list[QAPair]:
        """All questions for one sentence, most useful first."""
        rng = random.Random(f"{self.seed}:{index}")  # str seeds are stable across runs
        spans = list(spans)
        rng.shuffle(spans)  # the seed picks which fact of a sentence is asked first...
        name_starts = {span.start for span in spans if span.kind == "name"}
        natural: list[QAPair] = []
        cloze: list[QAPair] = []
        for span in spans:
            # Hard-wrapped text can split a name over two lines; the answer reads as one line.
            answer = normalize_whitespace(span.text(sentence))
            question = wh_question(sentence, span, name_starts)
            if question is not None:
                natural.append(QAPair(question, answer, sentence, self.name))
            blank = cloze_question(sentence, span)
            if answer.casefold() not in blank.casefold():  # answer repeated elsewhere: too easy
                cloze.append(QAPair(blank, answer, sentence, self.name))
        # ...but a question that opens with its wh-phrase ("Who keeps ...?") reads best: first.
        natural.sort(key=lambda pair: not _opens_with_wh(pair.question))
        if natural and cloze and rng.random() < self.cloze_fraction:
            # Some sentences lead with the blank form so small budgets still see both styles.
            return [cloze[0], *natural, *cloze[1:]]
        return [*natural, *cloze]

    def generate(self, text: str, n: int) -> list[QAPair]:
        """Up to ``n`` pairs about ``text``; evidence is the verbatim sentence, answer its span."""
        if n <= 0 or not text.strip():
            return []
        sentences = [
            text[start:end]
            for start, end in sentence_spans(text)
            if is_prose_sentence(text[start:end])
        ]
        known, person = _corpus_names(sentences)
        per_sentence: list[list[QAPair]] = []
        for index, sentence in enumerate(sentences):
            spans = answer_spans(sentence, known, person)
            candidates = self._candidates(index, sentence, spans) if spans else []
            if candidates:
                per_sentence.append(candidates)
        if not per_sentence:
            return []
        order = spread_order(len(per_sentence), random.Random(self.seed).random())
        chosen: list[QAPair] = []
        seen: set[str] = set()
        depth = max(len(candidates) for candidates in per_sentence)
        for round_index in range(depth):
            picked: list[tuple[int, QAPair]] = []
            for sentence_index in order:
                candidates = per_sentence[sentence_index]
                if round_index >= len(candidates):
                    continue
                pair = candidates[round_index]
                key = question_key(pair.question)
                if key in seen:
                    continue
                seen.add(key)
                picked.append((sentence_index, pair))
                if len(chosen) + len(picked) == n:
                    break
            # Within a round, keep reading order: easier to inspect, same set of pairs.
            chosen.extend(pair for _, pair in sorted(picked, key=lambda item: item[0]))
            if len(chosen) >= n:
                break
        return chosen[:n]
