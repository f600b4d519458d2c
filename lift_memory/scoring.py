"""Answer scoring, one home for every caller (``compare``, the bench, the hybrid router).

SQuAD-style normalisation (numbers written as digits, lower case, no punctuation, no articles,
single spaces), then:

- ``exact_match``: the normalized answer equals a normalized gold answer;
- ``token_f1``: the best token-overlap F1 against any gold answer;
- ``contains_gold``: the normalized answer contains a normalized gold answer *as whole words*
  ("3 million" does not contain "lion", "14 legs" does not contain "4");
- ``answer_agreement``: how much two answers agree (token F1, or 1 when one contains the other).

Numbers are compared as numbers: "three hundred and twelve" and "312" normalize alike
(``text2num``'s English parser). Importing this module costs no torch.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def _digits(text: str) -> str:
    """Number words as digits ("forty-two" → "42"); text without any is returned as is."""
    from text_to_num import alpha2digit

    try:
        return alpha2digit(text, "en")
    except ValueError:  # the parser refuses some malformed input: score the text as written
        return text


def normalize_answer(text: str) -> str:
    """Numbers as digits, lower case, no punctuation, no articles, single spaces (SQuAD-style)."""
    text = _ARTICLES.sub(" ", _digits(text).lower().translate(_PUNCTUATION))
    return " ".join(text.split())


def _f1(predicted: list[str], expected: list[str]) -> float:
    if not predicted or not expected:
        return 0.0
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def exact_match(answer: str, gold: Sequence[str]) -> float:
    """1.0 if the normalized answer equals any normalized gold answer, else 0.0."""
    found = normalize_answer(answer)
    return float(any(found == normalize_answer(g) for g in gold if normalize_answer(g)))


def token_f1(answer: str, gold: Sequence[str]) -> float:
    """The best SQuAD token F1 of ``answer`` against any gold answer."""
    predicted = normalize_answer(answer).split()
    return max((_f1(predicted, normalize_answer(g).split()) for g in gold), default=0.0)


def contains_gold(answer: str, gold: Sequence[str]) -> bool | None:
    """True if the normalized answer contains any normalized gold answer; None without gold."""
    golds = [normalize_answer(g) for g in gold if normalize_answer(g)]
    if not golds:
        return None
    found = f" {normalize_answer(answer)} "
    return any(f" {g} " in found for g in golds)


def answer_agreement(first: str, second: str) -> float:
    """How much two answers agree, 0..1: token F1, or 1 when one contains the other."""
    a, b = normalize_answer(first), normalize_answer(second)
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    return _f1(a.split(), b.split())
