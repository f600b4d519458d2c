"""Composed "which came first" pairs: two dated events of the corpus, compared.

Single-fact pairs teach "In what year did Kowim Rimkourk found the Beispock Guild?". Asked which
of two events came first, a memory trained only on those recites one dated sentence, often of a
third event (docs/benchmarks.md, timeline). These pairs ask the comparison itself, in both orders
of the two events, and answer with the earlier event alone ("First: Kowim Rimkourk founded the
Beispock Guild, in 1266."): naming one event is the answer; naming both would not say which.

Asked on a bigger corpus, such an answer often gives the picked event's own year correctly yet
picks the later event (docs/benchmarks.md): each year is recalled, the comparison fails. The
``years-first`` reply recalls both years before the pick, each event without its subject so the
answer still names one event ("Founded the Beispock Guild in 1266, opened the library of Kriolby
in 1300. First: Kowim Rimkourk founded the Beispock Guild."): the pick then compares two years
the answer has just written. A 135M model still picked against its own written years in 5 of 23
answers (docs/benchmarks.md), so ``years-compared`` also states the years' order, the smaller
first, before the pick ("… in 1300. 1266 is before 1300. First: …"): the comparison becomes a
statement about two numbers alone, and the pick a look-up of the event whose year comes first.

Each dated event is compared with :data:`PARTNERS` others (a seeded draw), so a corpus of *n*
dated events gives about ``PARTNERS * n / 2`` comparisons, and unseen pairs must come from what
the trained ones taught about each event's place in time.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lift_memory.config import TimelineReply
from lift_memory.qa.base import QAPair

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

PARTNERS = 4
MAX_CLAUSE_WORDS = 16
_YEAR = re.compile(r"(?:in |the year )?(\d{3,4})", re.IGNORECASE)


@dataclass(frozen=True)
class DatedEvent:
    clause: str  # the sentence without its date: "Kowim Rimkourk founded the Beispock Guild"
    year: int
    sentence: str  # the corpus sentence (the evidence)
    predicate: str = ""  # the clause without its subject: "founded the Beispock Guild"


def year_of(answer: str) -> int | None:
    """The year a DATE answer names when it is exactly a year ("1266", "in 1266"), else None."""
    match = _YEAR.fullmatch(answer.strip())
    return int(match.group(1)) if match else None


def event_clause(sentence: Span, answer: Span) -> str | None:
    """``sentence`` without the phrase that dates it ("In 1266, " or " in 1300"), as a clause
    that can sit inside a question; None for a sentence that would not read as one event: the
    date not a phrase of its own or dating a clause inside the sentence ("…, who arrived in
    2009"), another number left in it, a pronoun for its subject (whose?), or longer than
    :data:`MAX_CLAUSE_WORDS`."""
    return _clause(_clause_tokens(sentence, answer))


def _clause(kept: list[Token] | None) -> str | None:
    if not kept:
        return None
    clause = _text(kept)
    if kept[0].pos_ == "DET":  # "The lighthouse …" mid-question; a name keeps its capital
        clause = clause[:1].lower() + clause[1:]
    return clause


def event_predicate(sentence: Span, answer: Span) -> str:
    """The event clause from its main verb on, its subject left out ("founded the Beispock
    Guild", "was built by Orla Fenwick"); "" where no subject comes before the verb."""
    return _predicate(sentence, _clause_tokens(sentence, answer))


def _predicate(sentence: Span, kept: list[Token] | None) -> str:
    root = sentence.root
    verb = [root, *(c for c in root.children if c.dep_ in ("aux", "auxpass", "neg"))]
    start = min(t.i for t in verb)
    rest = [t for t in kept or () if t.i >= start]
    if not rest or len(rest) == len(kept or ()) or not any(t.i == root.i for t in rest):
        return ""
    return _text(rest)


def _text(tokens: list[Token]) -> str:
    return "".join(t.text_with_ws for t in tokens).strip().rstrip(",").strip()


def _clause_tokens(sentence: Span, answer: Span) -> list[Token] | None:
    """The tokens of :func:`event_clause` (None where it has none)."""
    head = answer.root.head
    dating = head if head.dep_ == "prep" and head.i < answer.start else None
    start, end = (
        (dating.left_edge.i, dating.right_edge.i + 1) if dating else (answer.start, answer.end)
    )
    if end < answer.end:  # the preposition's phrase does not hold the whole date
        return None
    dated = dating if dating is not None else answer.root
    if dated.head.dep_ != "ROOT":  # it dates a clause inside the sentence
        return None
    last = sentence.end - 1 if sentence[-1].is_punct else sentence.end
    kept = [t for t in sentence if not start <= t.i < end and t.i < last]
    if kept and kept[0].i == end and kept[0].text == ",":  # "In 1266, Kowim …"
        kept = kept[1:]
    words = [t for t in kept if not t.is_punct]
    if not 3 <= len(words) <= MAX_CLAUSE_WORDS or words[0].pos_ == "PRON":
        return None
    if any(t.like_num for t in words) or not any(t.pos_ in ("VERB", "AUX") for t in words):
        return None
    return kept


def dated_events(found: list[tuple[Span, Span, str, str]]) -> list[DatedEvent]:
    """The corpus's dated events from ``(sentence, answer span, label, corpus sentence)`` facts,
    once per event (the first year found for it)."""
    events: dict[str, DatedEvent] = {}
    for sentence, span, label, evidence in found:
        year = year_of(span.text) if label == "DATE" else None
        if year is None:
            continue
        kept = _clause_tokens(sentence, span)  # parsed once for the clause and its predicate
        clause = _clause(kept)
        if clause and clause.lower() not in events:
            events[clause.lower()] = DatedEvent(clause, year, evidence, _predicate(sentence, kept))
    return list(events.values())


def timeline_pairs(
    events: list[DatedEvent],
    seed: int = 0,
    partners: int = PARTNERS,
    reply: TimelineReply = "pick",
) -> list[list[QAPair]]:
    """One group per compared pair of events of different years: the question in both orders,
    answered as ``reply`` says (the module docstring)."""
    order = list(range(len(events)))
    random.Random(seed).shuffle(order)
    compared: set[tuple[int, int]] = set()
    groups = []
    for position, index in enumerate(order):
        for step in range(1, partners // 2 + 1):
            other = order[(position + step) % len(order)]
            key = (min(index, other), max(index, other))
            if other == index or key in compared or events[index].year == events[other].year:
                continue
            compared.add(key)
            a, b = events[index], events[other]
            first = a if a.year < b.year else b
            evidence = f"{a.sentence} {b.sentence}"
            groups.append(
                [
                    _comparison_pair(x, y, first, evidence, comparison_reply(x, y, first, reply))
                    for x, y in ((a, b), (b, a))
                ]
            )
    return groups


def _comparison_pair(
    x: DatedEvent, y: DatedEvent, first: DatedEvent, evidence: str, reply: str
) -> QAPair:
    """The pair asking ``x`` against ``y``. A reply that recalls the years before its pick names
    itself as what to probe (used with ``LiftConfig.probe_whole_replies``): teacher-forced, the
    pick after "1266 is before 1300." passes as soon as it is copied from the reply, while the
    years and their order, the comparison itself, are not yet learned; probed on the pick, the
    fact rested early and its order came out wrong in 8 of 24 answers (docs/benchmarks.md,
    "Session of 2026-12-05 (eleventh)")."""
    steps = not reply.startswith("First:")
    return QAPair(
        f"Which happened first: {x.clause}, or {y.clause}?",
        first.clause,
        evidence,
        "facts",
        reply=reply,
        probed=reply if steps else "",
    )


def comparison_reply(
    asked_first: DatedEvent, asked_second: DatedEvent, first: DatedEvent, style: TimelineReply
) -> str:
    """The answer to "Which happened first: ``asked_first``, or ``asked_second``?"; a
    ``years-first`` or ``years-compared`` reply falls back to ``pick`` where an event has no
    subject-less predicate."""
    if style != "pick" and asked_first.predicate and asked_second.predicate:
        years = (
            f"{asked_first.predicate} in {asked_first.year}, "
            f"{asked_second.predicate} in {asked_second.year}"
        )
        recalled = f"{years[:1].upper()}{years[1:]}."
        if style == "years-compared":
            early, late = sorted((asked_first.year, asked_second.year))
            recalled += f" {early} is before {late}."
        return f"{recalled} First: {first.clause}."
    return f"First: {first.clause}, in {first.year}."
