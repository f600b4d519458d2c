"""A seeded generator of invented facts that no pretrained model can know.

People, towns, seas and objects get made-up names built from syllables; facts bind them with a
few relations (birthplace, profession, maker, keeping place, founding year) and dated events.
Three kinds of questions come out:

- ``fact-single``: one fact asked directly ("In which town was Orvel Tamsk born?");
- ``fact-multihop``: two facts chained; the first lies in part A (placed in the first half of
  the corpus), the second in part B (the second half);
- ``fact-timeline``: "Which happened first: A …, or B …?" over two dated events (scored by the
  person the answer picks: the question names both).

Every question entity is fresh, so no question is ambiguous. Distractor facts about other
invented entities (same relations, same answer types) fill the corpus up to its token budget.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from lift_memory_bench.tasks.question import BenchQuestion, TokenCounter, make_question

_ONSETS = [
    "b",
    "br",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "h",
    "k",
    "kr",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "st",
    "t",
    "th",
    "v",
    "w",
    "z",
    "qu",
    "sh",
]
_VOWELS = ["a", "e", "i", "o", "u", "ae", "ei", "ou", "io"]
_CODAS = ("", "", "n", "r", "l", "s", "th", "nd", "rk", "m", "x", "sk", "ck")
_TOWN_SUFFIXES = ("mere", "ford", "holm", "wick", "stead", "by", "moor", "haven", "gate")
_OBJECT_NOUNS = ("lantern", "compass", "harp", "clock", "chalice", "map", "astrolabe", "bell")
_JOBS = (
    "clockmaker",
    "cartographer",
    "beekeeper",
    "glassblower",
    "ferryman",
    "astronomer",
    "stonemason",
    "apothecary",
    "shipwright",
    "bookbinder",
    "weaver",
    "falconer",
)
# (past tense for the corpus, gerund for the question, whether {x} is a town or a plain name)
_EVENTS = (
    ("crossed the {x} Sea", "crossing the {x} Sea", False),
    ("opened the library of {x}", "opening the library of {x}", True),
    ("built the bridge at {x}", "building the bridge at {x}", True),
    ("signed the Treaty of {x}", "signing the Treaty of {x}", True),
    ("climbed Mount {x}", "climbing Mount {x}", False),
    ("founded the {x} Guild", "founding the {x} Guild", False),
)


class NameMaker:
    """Unique invented names from random syllables."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _word(self, syllables: int) -> str:
        r = self.rng
        return "".join(
            r.choice(_ONSETS) + r.choice(_VOWELS) + r.choice(_CODAS) for _ in range(syllables)
        ).capitalize()

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            name = make()
            if name not in self.used and len(name) > 3:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of invented names")

    def word(self) -> str:
        return self._unique(lambda: self._word(2))

    def person(self) -> str:
        return self._unique(lambda: f"{self._word(2)} {self._word(2)}")

    def town(self) -> str:
        return self._unique(lambda: self._word(1) + self.rng.choice(_TOWN_SUFFIXES))

    def thing(self) -> str:
        return self._unique(lambda: f"{self._word(1)}en {self.rng.choice(_OBJECT_NOUNS)}")


@dataclass
class Fiction:
    part_a: list[str]  # sentences for the first half of the corpus
    part_b: list[str]  # sentences for the second half
    questions: list[BenchQuestion] = field(default_factory=list)


@dataclass
class _Pools:
    """Every value of each answer type that appears in the corpus: distractor options."""

    towns: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)

    def pick(
        self, rng: random.Random, kind: str, answer: str, fresh: Callable[[], str], k: int = 3
    ) -> list[str]:
        """``k`` values of ``kind`` from the corpus; invented ones when it has too few."""
        pool = [v for v in dict.fromkeys(getattr(self, kind)) if v != answer]
        chosen = rng.sample(pool, min(k, len(pool)))
        while len(chosen) < k:
            chosen.append(fresh())
        return chosen


def _year(rng: random.Random, taken: set[int]) -> int:
    """A year not used yet, preferably 5+ years from every other (timelines stay clear-cut)."""
    for attempt in range(400):
        year = rng.randrange(1100, 1900)
        spaced = attempt >= 200 or all(abs(year - t) >= 5 for t in taken)
        if year not in taken and spaced:
            taken.add(year)
            return year
    free = sorted(set(range(1000, 2000)) - taken)
    if not free:
        raise ValueError("too many dated facts for distinct years: lower corpus_tokens")
    year = rng.choice(free)
    taken.add(year)
    return year


def generate_fiction(
    rng: random.Random,
    *,
    single: int,
    multihop: int,
    timeline: int,
    target_tokens: int,
    count_tokens: TokenCounter,
) -> Fiction:
    """Two lists of invented-fact sentences (about ``target_tokens`` together) and questions."""
    names = NameMaker(rng)
    pools = _Pools()
    years: set[int] = set()
    part_a: list[str] = []
    part_b: list[str] = []
    pending: list[tuple[str, str, str, str, str]] = []  # (qid, task, question, answer, kind)

    def fact(kind: str) -> tuple[str, str, str, str]:
        """(sentence, question, answer, answer kind) of one fresh single fact."""
        if kind == "born":
            person, town = names.person(), names.town()
            pools.towns.append(town)
            return (
                f"{person} was born in {town}.",
                f"In which town was {person} born?",
                town,
                "towns",
            )
        if kind == "job":
            person, job = names.person(), rng.choice(_JOBS)
            return f"{person} works as a {job}.", f"What is {person}'s profession?", job, "jobs"
        if kind == "kept":
            thing, town = names.thing(), names.town()
            pools.towns.append(town)
            return (
                f"The {thing} is kept in {town}.",
                f"Where is the {thing} kept?",
                town,
                "towns",
            )
        if kind == "founded":
            town, year = names.town(), str(_year(rng, years))
            pools.years.append(year)
            return (
                f"{town} was founded in {year}.",
                f"In which year was {town} founded?",
                year,
                "years",
            )
        thing, person = names.thing(), names.person()
        pools.people.append(person)
        return f"The {thing} was made by {person}.", f"Who made the {thing}?", person, "people"

    kinds = ("born", "kept", "founded", "made", "job")
    for i in range(single):
        sentence, question, answer, kind = fact(kinds[i % len(kinds)])
        (part_a if i % 2 == 0 else part_b).append(sentence)
        pending.append((f"fact-single-{i + 1}", "fact-single", question, answer, kind))

    for i in range(multihop):
        if i % 2 == 0:  # object → maker → birthplace
            thing, person, town = names.thing(), names.person(), names.town()
            pools.people.append(person)
            pools.towns.append(town)
            part_a.append(f"The {thing} was made by {person}.")
            part_b.append(f"{person} was born in {town}.")
            question = f"In which town was the maker of the {thing} born?"
            pending.append((f"fact-multihop-{i + 1}", "fact-multihop", question, town, "towns"))
        else:  # person → birthplace → founding year
            person, town, year = names.person(), names.town(), str(_year(rng, years))
            pools.towns.append(town)
            pools.years.append(year)
            part_a.append(f"{person} was born in {town}.")
            part_b.append(f"{town} was founded in {year}.")
            question = f"In which year was the town where {person} was born founded?"
            pending.append((f"fact-multihop-{i + 1}", "fact-multihop", question, year, "years"))

    timeline_questions: list[BenchQuestion] = []
    for i in range(timeline):
        events = []
        for _ in range(2):
            past, gerund, in_town = rng.choice(_EVENTS)
            x = names.town() if in_town else names.word()
            actor, year = names.person(), _year(rng, years)
            events.append((actor, past.format(x=x), gerund.format(x=x), year))
            sentence = f"In {year}, {actor} {past.format(x=x)}."
            (part_a if rng.random() < 0.5 else part_b).append(sentence)
        first = min(events, key=lambda e: e[3])
        question = (
            f"Which happened first: {events[0][0]} {events[0][2]}, "
            f"or {events[1][0]} {events[1][2]}?"
        )
        timeline_questions.append(
            make_question(
                rng,
                f"fact-timeline-{i + 1}",
                "fact-timeline",
                question,
                first[0],
                [e[0] for e in events if e is not first],
                # the question names both people: an answer that echoes it contains the gold one
                scored_by_choice=True,
            )
        )

    # distractor facts of the same relations until the budget is used
    used = sum(count_tokens(s) + 1 for s in part_a + part_b)
    while used < target_tokens:
        sentence = fact(rng.choice(kinds))[0]
        (part_a if len(part_a) <= len(part_b) else part_b).append(sentence)
        used += count_tokens(sentence) + 1
    # the order of facts within a part says nothing about their questions
    rng.shuffle(part_a)
    rng.shuffle(part_b)

    questions: list[BenchQuestion] = []
    for qid, task, question, answer, kind in pending:
        if kind == "jobs":
            distractors = rng.sample([j for j in _JOBS if j != answer], 3)
        else:
            fresh = {
                "towns": names.town,
                "people": names.person,
                "years": lambda: str(_year(rng, years)),
            }[kind]
            distractors = pools.pick(rng, kind, answer, fresh)
        questions.append(make_question(rng, qid, task, question, answer, distractors))  # type: ignore[arg-type]
    return Fiction(part_a, part_b, questions + timeline_questions)
