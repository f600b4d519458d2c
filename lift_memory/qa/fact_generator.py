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
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lift_memory.config import ComposedReply, TimelineReply
from lift_memory.qa.base import QAPair

if TYPE_CHECKING:
    from lift_memory.qa.fact_questions import Phrasing

DEFAULT_PER_FACT = 4  # LiftConfig.qa_per_fact's default


class FactQAGenerator:
    """Questions about every fact of the text (no model, no network).

    ``generate(text, n)`` returns every fact's first ``per_fact`` phrasings, capped at ``n``
    pairs in total when ``n`` > 0 (facts are interleaved first, so a cap keeps every fact).
    """

    name = "facts"

    def __init__(
        self,
        per_fact: int = DEFAULT_PER_FACT,
        restate: bool = False,
        timeline: bool = True,
        seed: int = 0,
        composed_reply: ComposedReply = "joined",
        composed_frames: int = 2,
        timeline_reply: TimelineReply = "years-compared",
        unique_answers: bool = False,
    ) -> None:
        if per_fact < 1:
            raise ValueError("per_fact must be at least 1")
        if composed_frames < 1:
            raise ValueError("composed_frames must be at least 1")
        self.per_fact = per_fact
        self.restate = restate  # also ask the facts of each sentence's restatements (simplify.py)
        self.timeline = timeline  # also ask which of two dated events came first
        self.seed = seed
        self.composed_reply = composed_reply  # how a multi-hop answer is worded
        self.composed_frames = composed_frames  # question frames per multi-hop composition
        self.timeline_reply = timeline_reply  # how a which-came-first answer is worded
        # leave out a question the corpus answers with two different names (ambiguous_questions)
        self.unique_answers = unique_answers

    def pairs_per_fact(self, text: str) -> list[list[QAPair]]:
        """The pairs of each fact, in corpus order, then the composed (two-fact) ones.

        A fact's phrasings come from its corpus sentence and from that sentence's restatements
        (`simplify.py`), natural questions first: the stilted in-situ question ("Kettle Tor, a
        granite hill how many metres high?") only where nothing else asks the fact.
        """
        from lift_memory.qa.fact_questions import phrasings
        from lift_memory.qa.facts import find_facts

        found = []  # (fact, its phrasings)
        dated = []  # (parsed sentence, answer span, label, corpus sentence): timeline pairs
        for sentence, span, fact in find_facts(text, restate=self.restate):
            if self.timeline and not fact.restated:
                dated.append((sentence, span, fact.label, fact.sentence))
            every = phrasings(sentence, span, fact.label)
            if fact.restated:
                every = [p for p in every if p.kind != "in_situ"]
            found.append((fact, every))
        ambiguous = (
            ambiguous_questions(p for _, every in found for p in every)
            if self.unique_answers
            else set()
        )
        by_fact: dict[tuple[str, str], list] = {}  # (corpus sentence, answer) -> phrasings
        asked: list[tuple[str, list]] = []  # (sentence, phrasings) of every fact
        for fact, every in found:
            # an ambiguous question is neither trained nor a frame or bridge of a composed one
            every = [p for p in every if p.question.lower() not in ambiguous]
            asked.append((fact.sentence, every))
            by_fact.setdefault((fact.sentence, fact.answer), []).extend(every)
        grouped = []
        for (sentence, _answer), every in by_fact.items():
            unique = {}  # by question, natural phrasings before in-situ ones (a stable sort)
            for p in sorted(every, key=lambda p: p.kind == "in_situ"):
                unique.setdefault(p.question.lower(), p)
            pairs = [
                QAPair(p.question, p.answer, sentence, "facts", reply=p.reply)
                for p in list(unique.values())[: self.per_fact]
            ]
            if pairs:
                grouped.append(pairs)
        asked_already = {p.question.lower() for g in grouped for p in g}
        # a fact and its restatement compose alike
        for group in composed_pairs(asked, self.composed_reply, self.composed_frames):
            if group[0].question.lower() in asked_already:
                continue
            fresh = []  # each question once, whichever composition asked it first
            for pair in group:
                if pair.question.lower() not in asked_already:
                    asked_already.add(pair.question.lower())
                    fresh.append(pair)
            grouped.append(fresh)
        if self.timeline:
            from lift_memory.qa.timeline_pairs import dated_events, timeline_pairs

            grouped += timeline_pairs(dated_events(dated), self.seed, reply=self.timeline_reply)
        return grouped

    def generate(self, text: str, n: int) -> list[QAPair]:
        grouped = self.pairs_per_fact(text)
        rounds = max((len(g) for g in grouped), default=0)
        interleaved = [g[i] for i in range(rounds) for g in grouped if i < len(g)]
        return interleaved[:n] if n > 0 else interleaved


# a question's wh-word for a name: "who", "what", "which person" ask the same
_ANY_WH = re.compile(r"^(who|what|which person)\b ?")


def ambiguous_questions(asked: Iterable[Phrasing]) -> set[str]:
    """The questions (lowercased) the corpus answers with two different names.

    "Who works as a falconer?" where three people of the text do, or "Who was born in Harrowby?"
    where two were born there: trained, each teaches one answer to a question that has several,
    and the memory learns to answer with whichever name (the swapped bindings of
    docs/benchmarks.md). A composed question built on one inherits the ambiguity ("Where was
    the person who works as a falconer born?"). Two answers of which one contains the other
    ("Treaty", "the Treaty of Kiolmoor") are one answer cut two ways, not two. The wh-word is
    set aside: a name the recognizer misreads is asked "What works as a falconer?", the same
    question as "Who works as a falconer?".
    """
    answers: dict[str, set[str]] = {}  # the question, its wh-word aside -> answers
    questions: dict[str, set[str]] = {}  # the same key -> the questions (lowercased)
    for phrasing in asked:
        question = phrasing.question.lower()
        key = _ANY_WH.sub("wh ", question)
        answers.setdefault(key, set()).add(phrasing.answer.lower())
        questions.setdefault(key, set()).add(question)
    return {
        question
        for key, said in answers.items()
        if any(a not in b and b not in a for a in said for b in said)
        for question in questions[key]
    }


# The second fact's phrasings the first frame of a composed question is built from.
_FIRST_FRAME_KINDS = ("fronted", "active", "naming")


def composed_pairs(
    asked: list[tuple[str, list]], reply_style: ComposedReply = "chained", frames: int = 2
) -> list[list[QAPair]]:
    """Two facts chained through a shared name: where one fact describes a name ("the person
    who built the lighthouse" for Orla Fenwick) and another asks about that name ("Where was
    Orla Fenwick born?"), the composed question names it by the description ("Where was the
    person who built the lighthouse born?"), answered by the two facts in the order they are
    recalled ("Orla Fenwick built the lighthouse. Orla Fenwick was born in Kelby.") or, with
    ``reply_style="bridged"``, by one bridged sentence ("Orla Fenwick, the person who built the
    lighthouse, was born in Kelby."), or with ``"joined"`` by the two facts in one sentence
    ("Orla Fenwick built the lighthouse; Orla Fenwick was born in Kelby."). Multi-hop answers
    are then trained, not hoped for.
    With ``frames`` > 1 a composition is also asked in the second fact's synonym rewordings
    ("In which place was the person who built the lighthouse born?"; most facts have one, so
    more than 2 rarely adds a frame), one group per composition, so a paraphrased question
    still finds the chained answer."""
    # name -> [(description, sentence, the describing fact as a short sentence)]
    described: dict[str, list[tuple[str, str, str]]] = {}
    seen: set[tuple[str, str, str]] = set()  # (name, description, sentence), first one kept
    for sentence, phrasings in asked:
        for p in phrasings:
            if p.description and (p.answer, p.description, sentence) not in seen:
                seen.add((p.answer, p.description, sentence))
                described.setdefault(p.answer, []).append((p.description, sentence, p.reply))
    groups = []
    for sentence, phrasings in asked:
        for name, descriptions in described.items():
            for description, source, first_hop in descriptions:
                if source == sentence:
                    continue
                matching = [p for p in phrasings if name in p.question and name not in p.answer]
                # the first frame as before, then the synonym frames ("In which place was …")
                first = [p for p in matching if p.kind in _FIRST_FRAME_KINDS]
                if not first:
                    continue
                asking = (first[:1] + [p for p in matching if p.kind == "synonym"])[:frames]
                evidence = f"{source} {sentence}"
                bridged = f"{name}, {description},"
                group = []
                for frame in asking:
                    question = frame.question.replace(name, description, 1)
                    if reply_style == "chained":
                        reply = f"{first_hop} {frame.reply}"
                    elif reply_style == "joined":  # one sentence: no full stop mid-answer
                        reply = f"{first_hop.rstrip('.')}; {frame.reply}"
                    elif name in frame.reply:
                        reply = frame.reply.replace(name, bridged, 1).replace(",.", ".")
                    else:
                        reply = (
                            f"{description[:1].upper()}{description[1:]} is {name}. {frame.reply}"
                        )
                    # the reply recalls the bridge before the answer: probed on the answer
                    # alone (teacher-forced after the bridge) the fact rested while free replies
                    # still stopped after the first hop (docs/benchmarks.md, fifteenth session)
                    group.append(
                        QAPair(question, frame.answer, evidence, "facts", reply=reply, probed=reply)
                    )
                groups.append(group)
    return groups


def fact_statements(text: str, seed: int = 0, restate: bool = False) -> list[str]:
    """Plain-text augmentations of ``text``: per paragraph, its facts' short sentences, and
    its sentences in a shuffled order (paragraphs of one sentence are left out)."""
    from lift_memory.qa.fact_questions import phrasings
    from lift_memory.qa.facts import english_pipeline, find_facts, is_prose, paragraphs

    rng = random.Random(seed)
    restated: dict[int, list[str]] = {}
    for sentence, span, fact in find_facts(text, restate=restate):
        for phrasing in phrasings(sentence, span, fact.label):
            sentences = restated.setdefault(fact.paragraph, [])
            if phrasing.kind != "in_situ" and phrasing.reply not in sentences:
                sentences.append(phrasing.reply)
    texts = [" ".join(sentences) for _, sentences in sorted(restated.items())]
    for doc in english_pipeline().pipe(paragraphs(text)):
        sentences = [s.text.strip() for s in doc.sents if is_prose(s)]
        if len(set(sentences)) > 1:  # a paragraph of one repeated sentence has no other order
            shuffled = sentences[:]
            while shuffled == sentences:
                rng.shuffle(shuffled)
            texts.append(" ".join(shuffled))
    return [t for t in texts if t.strip()]
