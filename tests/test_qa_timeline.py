"""Composed "which came first" pairs (lift_memory/qa/timeline_pairs.py) over spaCy's parse."""

from __future__ import annotations

import re

from lift_memory.config import LiftConfig
from lift_memory.ingest import default_qa_generator
from lift_memory.qa import FactQAGenerator
from lift_memory.qa.timeline_pairs import DatedEvent, timeline_pairs, year_of

TEXT = (
    "In 1266, Kowim Rimkourk founded the Beispock Guild. Vothtein Sumlol opened the library of "
    "Kriolby in 1300. The lighthouse on Varnholm was built in 1847 by Orla Fenwick. "
    "The ferry leaves every Thursday. The keeper is Edda Mirel, who arrived in 2009."
)


def comparisons(generator: FactQAGenerator) -> list[list]:
    return [g for g in generator.pairs_per_fact(TEXT) if g[0].question.startswith("Which")]


def test_each_pair_is_asked_both_ways_and_answered_by_the_earlier_event() -> None:
    groups = comparisons(FactQAGenerator(timeline=True, timeline_reply="pick"))
    # three dated events, every pair: a weekday is no year, and 2009 dates the relative clause
    assert len(groups) == 3
    clauses = {
        "Kowim Rimkourk founded the Beispock Guild": 1266,
        "Vothtein Sumlol opened the library of Kriolby": 1300,
        "the lighthouse on Varnholm was built by Orla Fenwick": 1847,
    }
    for group in groups:
        a, b = group
        assert a.question != b.question and a.reply == b.reply and a.answer == b.answer
        named = [c for c in clauses if c in a.question]
        assert len(named) == 2 and all(c in b.question for c in named)
        earlier = min(named, key=clauses.get)
        assert a.answer == earlier
        assert a.reply == f"First: {earlier}, in {clauses[earlier]}."
        assert not any(c in a.reply for c in named if c != earlier)  # names one event only
        assert a.question.startswith("Which happened first: ") and a.question.endswith("?")


def test_on_by_default_and_off_through_the_config() -> None:
    assert comparisons(FactQAGenerator(timeline=False)) == []
    assert comparisons(FactQAGenerator(per_fact=4))
    on = default_qa_generator(None, LiftConfig(qa_generator="facts"))
    assert isinstance(on, FactQAGenerator) and on.timeline
    off = default_qa_generator(None, LiftConfig(qa_generator="facts", qa_timeline_pairs=False))
    assert isinstance(off, FactQAGenerator) and not off.timeline


def test_years_and_pairing() -> None:
    assert year_of("1266") == 1266 and year_of("in 1847") == 1847
    assert year_of("every Thursday") is None and year_of("the 1840s") is None
    events = [DatedEvent(f"event {i}", 1000 + i % 3, f"Sentence {i}.") for i in range(9)]
    groups = timeline_pairs(events, seed=0)
    assert groups == timeline_pairs(events, seed=0)  # seeded
    assert groups != timeline_pairs(events, seed=1)
    asked = [g[0].question for g in groups]
    assert len(asked) == len(set(asked)) and 0 < len(groups) <= 2 * len(events)
    year = {e.clause: e.year for e in events}
    for group in groups:  # events of one year are never compared
        a, b = re.fullmatch(r"Which happened first: (.*), or (.*)\?", group[0].question).groups()
        assert year[a] != year[b]
        assert group[0].answer == (a if year[a] < year[b] else b)


def test_years_first_recalls_both_years_then_names_one_event() -> None:
    groups = comparisons(FactQAGenerator(timeline_reply="years-first"))
    predicates = {
        "Kowim Rimkourk founded the Beispock Guild": ("founded the Beispock Guild", 1266),
        "Vothtein Sumlol opened the library of Kriolby": ("opened the library of Kriolby", 1300),
        "the lighthouse on Varnholm was built by Orla Fenwick": ("was built by Orla Fenwick", 1847),
    }
    assert len(groups) == 3
    for group in groups:
        for pair in group:
            asked = re.fullmatch(r"Which happened first: (.*), or (.*)\?", pair.question).groups()
            earlier = min(asked, key=lambda c: predicates[c][1])
            (p1, y1), (p2, y2) = (predicates[c] for c in asked)
            years = f"{p1} in {y1}, {p2} in {y2}."
            # both years in the order asked, the subjects left out, then the pick alone
            assert pair.reply == f"{years[:1].upper()}{years[1:]} First: {earlier}."
            assert pair.answer == earlier
        assert group[0].reply != group[1].reply  # each order recalls its own order


def test_years_compared_states_the_years_order_before_the_pick() -> None:
    guild = DatedEvent("Kowim founded the Guild", 1266, "s", "founded the Guild")
    library = DatedEvent("Vothtein opened the library", 1300, "s", "opened the library")
    groups = timeline_pairs([library, guild], reply="years-compared")
    replies = sorted(p.reply for p in groups[0])
    # the recalled years in the order asked; their order stated smaller first in both
    assert replies == [
        "Founded the Guild in 1266, opened the library in 1300. 1266 is before 1300. "
        "First: Kowim founded the Guild.",
        "Opened the library in 1300, founded the Guild in 1266. 1266 is before 1300. "
        "First: Kowim founded the Guild.",
    ]


def test_a_reply_that_recalls_the_years_is_probed_whole() -> None:
    guild = DatedEvent("Kowim founded the Guild", 1266, "s", "founded the Guild")
    library = DatedEvent("Vothtein opened the library", 1300, "s", "opened the library")
    for style in ("years-first", "years-compared"):
        for pair in timeline_pairs([library, guild], reply=style)[0]:
            # the pick follows from the years the reply wrote: those must be learned too
            assert pair.probed == pair.reply and pair.answer == "Kowim founded the Guild"
    # a plain pick is probed on its answer, as every other fact
    assert {p.probed for p in timeline_pairs([library, guild], reply="pick")[0]} == {""}


def test_years_first_needs_a_subject_to_leave_out() -> None:
    with_predicates = [DatedEvent("Kowim founded the Guild", 1266, "s", "founded the Guild")]
    without = DatedEvent("the Guild opened", 1300, "s")
    groups = timeline_pairs([*with_predicates, without], reply="years-first")
    # one event has no subject-less form: the plain pick, which names one event only
    assert [p.reply for p in groups[0]] == ["First: Kowim founded the Guild, in 1266."] * 2


def test_the_reply_style_reaches_the_generator_through_the_config() -> None:
    generator = default_qa_generator(
        None, LiftConfig(qa_generator="facts", qa_timeline_reply="years-first")
    )
    assert isinstance(generator, FactQAGenerator) and generator.timeline_reply == "years-first"
    assert FactQAGenerator().timeline_reply == LiftConfig().qa_timeline_reply == "years-compared"
