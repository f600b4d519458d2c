"""Turn a sentence and one of its answer spans into a natural question, without a model.

The span is replaced by a wh-phrase chosen from its kind ("in what year", "how many", "who",
"where"). When the sentence has a simple "subject + auxiliary" shape, a prepositional wh-phrase
moves to the front ("In what year was the lighthouse built?"); otherwise the question stays
in situ ("The keeper rowed how many miles?"), which is still a fluent question for training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lift_memory.qa.spans import (
    PLACE_PREPOSITIONS,
    YEAR_PREPOSITIONS,
    AnswerSpan,
    previous_word,
)
from lift_memory.qa.text_match import normalize_whitespace, word_set

_AUXILIARIES = word_set(
    "is are was were has have had will would can could should may might must shall do does did"
)
_HAVE = frozenset({"has", "have", "had"})
# A subject cannot start with these: the clause before the auxiliary is not a plain subject.
_CLAUSE_OPENERS = word_set(
    "when where while after before if because although though since as until unless once in on "
    "at during by for from with without to of about there here then what who which how why so "
    "and but or yet"
)
_TOKEN = re.compile(r"[^\W\d_][\w'’\-]*")
_TRAILING_PUNCTUATION = re.compile(r"[\s.!?;:,…\-–—]+([\"”’')\]]*)\s*$")
# ", and the ships came back" / "; later ..." after the span: a second clause, not needed.
_NEXT_CLAUSE = re.compile(r"\s*(?:;|,\s+(?:and|but|or|so|yet|while|whereas|although)\b)")
_NAMING_VERBS = frozenset({"named", "called", "titled", "dubbed", "nicknamed"})
_PERSON_PREPOSITIONS = frozenset({"by", "with", "for", "to", "from", "about"})
_LOCATIVE = frozenset({"in", "at", "on", "near"})

CLOZE_BLANK = "____"
CLOZE_PREFIX = "Fill in the blank: "


@dataclass(frozen=True)
class _WhPlan:
    """How to ask about a span: in situ, and optionally with a phrase fronted."""

    in_situ: str  # replaces sentence[in_situ_start:span.outer_end]
    in_situ_start: int
    fronted: str | None  # replaces sentence[front_start:span.outer_end], moved to the front
    front_start: int


def _plan(sentence: str, span: AnswerSpan) -> _WhPlan | None:
    start = span.outer_start
    previous = previous_word(sentence, start)
    prev = previous.lower() if previous else None
    prev_start = start - len(previous) - 1 if previous else start

    def in_situ(phrase: str) -> _WhPlan:
        return _WhPlan(phrase, start, None, start)

    def with_pp(phrase: str, fronted_pp: str) -> _WhPlan:
        # The preposition stays in situ; fronting moves "prep + wh" together.
        return _WhPlan(phrase, start, fronted_pp, prev_start)

    kind = span.kind
    if kind == "year":
        return (
            with_pp("what year", f"{prev} what year")
            if prev in YEAR_PREPOSITIONS
            else in_situ("what year")
        )
    if kind == "date":
        if prev == "in":  # "in March 1901" -> "when"
            return _WhPlan("when", prev_start, "when", prev_start)
        if prev in YEAR_PREPOSITIONS or prev == "on":
            return with_pp("what date", f"{prev} what date")
        return in_situ("what date")
    if kind == "time":
        if prev in {"at", "by", "until", "before", "after", "around"}:
            return with_pp("what time", f"{prev} what time")
        return in_situ("what time")
    if kind in {"count", "number", "money", "percent"}:
        phrase = {
            "count": "how many",
            "number": "what number",
            "money": "how much",
            "percent": "what percentage",
        }[kind]
        return in_situ(phrase)
    if kind == "quote":
        return _WhPlan("what", start, "what", start) if prev in _NAMING_VERBS else in_situ("what")
    # Names.
    if span.possessive:
        return in_situ("whose") if span.person else None
    if prev in _NAMING_VERBS:
        return _WhPlan("what", start, "what", start)
    if span.person:
        if prev in _PERSON_PREPOSITIONS:
            return with_pp("whom", f"{prev} whom")
        return in_situ("who")
    if prev in _LOCATIVE:
        return _WhPlan("which place", start, "where", prev_start)
    if prev in PLACE_PREPOSITIONS or prev in {"to", "from"}:
        return with_pp("which place", f"{prev} which place")
    return in_situ("what")


def _find_auxiliary(clause: str) -> tuple[str, str, str] | None:
    """Split ``clause`` as (subject, auxiliary, rest) when it has a plain subject before an aux."""
    tokens = list(_TOKEN.finditer(clause))
    for index, token in enumerate(tokens):
        word = token.group().lower()
        if word not in _AUXILIARIES or index == 0:
            continue
        subject = clause[: token.start()].strip()
        rest = clause[token.end() :].strip()
        if word in _HAVE:
            # "had a lighthouse" is a main verb; only "had been"/"had built" is an auxiliary.
            following = tokens[index + 1].group().lower() if index + 1 < len(tokens) else ""
            if following != "been" and not following.endswith(("ed", "en", "wn")):
                return None
        if (
            any(char in subject for char in ',;:()"“”')
            or len(subject.split()) > 8
            or tokens[0].group().lower() in _CLAUSE_OPENERS
        ):
            return None
        return subject, word, rest
    return None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _finish(question: str) -> str:
    """Whitespace-normalise, drop final punctuation, capitalise and add the question mark."""
    question = normalize_whitespace(question).replace(" ,", ",")
    question = _TRAILING_PUNCTUATION.sub(r"\1", question).rstrip()
    question = question.rstrip(".!?;:,")
    return question[:1].upper() + question[1:] + "?"


def _fronted(
    sentence: str, span: AnswerSpan, plan: _WhPlan, keep_case: set[int], tail: str
) -> str | None:
    """The question with the wh-phrase fronted and subject/auxiliary inverted, if the shape fits."""
    if plan.fronted is None:
        return None
    head = sentence[: plan.front_start]
    if head.strip():
        clause, clause_offset, rest_after = head, 0, tail
    elif tail.lstrip().startswith(","):
        # "In 1847, the lighthouse was built." -> the clause follows the fronted phrase.
        stripped = tail.lstrip()[1:]
        clause_offset = span.outer_end + (len(tail) - len(stripped))
        clause, rest_after = stripped, ""
    else:
        return None
    if any(char in rest_after.strip().rstrip(".!?") for char in ",;:"):
        return None  # a second clause follows; the inverted question would read badly
    split = _find_auxiliary(clause)
    if split is None:
        return None
    subject, auxiliary, rest = split
    subject_start = clause_offset + (len(clause) - len(clause.lstrip()))
    starts_with_name = subject_start in keep_case or subject.split()[0] == "I"
    if not starts_with_name:
        subject = _lower_first(subject)
    return _finish(f"{plan.fronted} {auxiliary} {subject} {rest} {rest_after}")


def _in_situ(sentence: str, span: AnswerSpan, plan: _WhPlan, tail: str) -> str:
    head = sentence[: plan.in_situ_start]
    if plan.fronted is not None and not sentence[: plan.front_start].strip() and tail.strip():
        # "On what date a storm destroyed ..." is not English: move the phrase to the end.
        phrase = sentence[plan.front_start : plan.in_situ_start] + plan.in_situ
        clause = tail.strip().removeprefix(",").strip().rstrip(" .!?;:,…")
        return _finish(f"{clause} {_lower_first(phrase.strip())}")
    return _finish(f"{head}{plan.in_situ}{tail}")


def _main_clause_tail(tail: str) -> str:
    """Cut a following independent clause: "... in what year, and the ships came back" -> "..."."""
    match = _NEXT_CLAUSE.search(tail)
    return tail[: match.start()] if match else tail


def wh_question(sentence: str, span: AnswerSpan, name_starts: set[int] | None = None) -> str | None:
    """A natural question whose answer is ``span.text(sentence)``, or None if none reads well.

    ``name_starts``: start offsets of name spans in the sentence, so a fronted subject that is a
    name keeps its capital ("In what year did Edda ..."), while "The keeper" becomes "the keeper".
    """
    plan = _plan(sentence, span)
    if plan is None:
        return None
    tail = _main_clause_tail(sentence[span.outer_end :])
    question = _fronted(sentence, span, plan, name_starts or set(), tail) or _in_situ(
        sentence, span, plan, tail
    )
    answer = normalize_whitespace(span.text(sentence))
    # A question that still contains its answer (the name appears twice) gives it away.
    if answer.casefold() in question.casefold() or len(question.split()) < 3:
        return None
    return question


def cloze_question(sentence: str, span: AnswerSpan) -> str:
    """ "Fill in the blank: ... ____ ..." with the answer span blanked out."""
    blanked = sentence[: span.start] + CLOZE_BLANK + sentence[span.end :]
    return CLOZE_PREFIX + normalize_whitespace(blanked)
