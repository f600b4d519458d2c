"""Phrase the questions about one fact from the sentence's dependency parse.

For the answer phrase of a fact (`facts.py`), several balanced phrasings, each with the answer
as a short sentence (the reply trained):

- *fronted*: the wh-phrase moves to the front with subject-auxiliary inversion or do-support
  ("In what year was its only lighthouse built?"), or replaces the subject ("Who keeps ...?");
- *short question*: the fronted question without the clause's other adjuncts ("In what year did
  the cargo ship Marrowind run aground?"), as readers ask;
- *active*: a passive agent asked in the active voice ("Who built its only lighthouse?");
- *reverse*: the same binding asked from the other side ("What did Orla Fenwick build?",
  "Who is Edda Mirel?"), so the fact is retrievable from either end;
- *short name*: a person named by the surname alone ("What did Fenwick build?");
- *in situ*: the wh-word in the answer's place ("Edda keeps a grey parrot named what?").

Knowledge stored in weights is retrievable by a question only when training showed it in many
forms (Allen-Zhu & Li, arXiv 2309.14316); every phrasing here is one such form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lift_memory.qa.casing import lowercase_start
from lift_memory.qa.detokenize import detokenize
from lift_memory.qa.facts import WEEKDAYS

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

_YEAR = re.compile(r"\b1\d{3}\b|\b20\d{2}\b")
_PLACE_PREPOSITIONS = frozenset({"in", "at", "on", "near", "inside", "outside"})
_TIME_PREPOSITIONS = frozenset({"in", "on", "at", "during"})
_PERSON_LABELS = frozenset({"PERSON"})
_NUMBER_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "NUM"})
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# what the recognizer calls an invented name it does not take for a person (facts.py)
_MISREAD_NAMES = frozenset({"ORG", "NORP", "GPE", "LOC", "FAC", "PROPN"})
# How a fact's answer is described in a composed (multi-hop) question.
_NOUNS = {"PERSON": "person", "GPE": "place", "LOC": "place", "FAC": "place", "DATE": "time"}
_RELATIVES = {"GPE": "where", "LOC": "where", "FAC": "where"}
_NAMED_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "PROPN"})
_DO = {"VBD": "did", "VBZ": "does", "VBP": "do"}
_SUBJECTS = ("nsubj", "nsubjpass")
# verbs whose "as" phrase is a person's occupation ("works as a falconer", "serves as mayor")
_OCCUPATION_VERBS = frozenset({"work", "serve"})
_NAMING_LEMMAS = frozenset({"name", "call", "title", "nickname", "dub"})
_DURATION = re.compile(r"\b(seconds?|minutes?|hours?|days?|weeks?|months?|years?|centur(y|ies))\b")
# The same question with another wh-phrase: readers ask "in which year" as often as "in what
# year", "which person" as "who".
_WH_SYNONYMS = (
    (re.compile(r"^In what year\b"), "In which year"),
    (re.compile(r"^Where\b"), "In which place"),
    (re.compile(r"^Who\b(?! is\b)"), "Which person"),
    (re.compile(r"^By whom\b"), "By which person"),
)
# A clause's parts a short question leaves out: its prepositional phrases and adverbial clauses
# after the verb.
_ADJUNCTS = frozenset({"prep", "advcl", "agent"})
_POSSESSIVE_DETERMINERS = re.compile(r"\b(its|their|his|her)\b")


@dataclass(frozen=True)
class Phrasing:
    """One question about a fact, its short answer and the answer as a short sentence."""

    question: str
    answer: str
    reply: str
    kind: str
    description: str = ""  # the answer described by the fact: "the person who built the tower"


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _lowercase_start(tokens: list[Token]) -> str:
    """A noun phrase that moves out of first position: 'The school' → 'the school', an
    invented name unchanged (casing.py)."""
    text = detokenize(tokens)
    return lowercase_start(text, tokens[0]) if tokens else text


def _inflect(lemma: str, tag: str) -> str:
    from lemminflect import getInflection

    forms = getInflection(lemma, tag=tag)
    return forms[0] if forms else lemma


def _attachment(span: Span) -> Token:
    """The head of the noun phrase the answer sits in ('engineer' for 'the engineer Orla
    Fenwick', 'steps' for 'the 164 steps')."""
    top = span.root
    while top.dep_ in ("compound", "appos", "nummod", "flat", "amod") and top.head is not top:
        if top.dep_ == "appos" and top.head.dep_ in _SUBJECTS + ("ROOT",):
            break  # "The mayor, Sigrun Hale, was ...": ask about the name, not the mayor
        top = top.head
    return top


def _wh_phrase(span: Span, label: str, top: Token) -> tuple[str, set[int]]:
    """The wh-phrase that stands for the answer and the token indices it replaces."""
    noun_phrase = {t.i for t in top.subtree}
    if label in ("CARDINAL", "NUM") and _is_copular_number(span):
        # "The population of Ostvik is 312": what the subject is, not "How many is …?"
        return "what", {t.i for t in span}
    if label in _NUMBER_LABELS:
        noun = top if top.i not in {t.i for t in span} else None
        if noun is None and span.root.pos_ == "NOUN":  # "forty-two kilometres"
            return "how many " + span.root.text, {t.i for t in span}
        if noun is not None and noun.pos_ == "NOUN":
            dets = {c.i for c in noun.children if c.dep_ in ("det", "poss", "advmod", "quantmod")}
            # "312 paper lanterns" -> "how many paper lanterns", not "how many lanterns ... paper"
            kind = [
                t
                for c in noun.lefts
                if c.dep_ in ("compound", "amod")
                and c.i >= span.end
                and span.root not in c.subtree  # "a 200 ft volcano": "ft" is the unit
                for t in c.subtree
            ]
            replaced = {t.i for t in span} | {noun.i} | dets | {t.i for t in kind}
            return "how many " + detokenize([*kind, noun]), replaced
        return ("how much" if label == "MONEY" else "how many"), {t.i for t in span}
    if label in ("DATE", "TIME") and _DURATION.search(span.text) and not _YEAR.search(span.text):
        return "how long", noun_phrase
    if label == "DATE" and span.root.text in WEEKDAYS:
        return "on which day", noun_phrase
    if label == "DATE":
        return ("what year" if _YEAR.search(span.text) else "when"), noun_phrase
    if label == "TIME":
        return "when", noun_phrase
    if label in _PERSON_LABELS or (label == "PROPN" and span.root.ent_type_ == "PERSON"):
        return "who", noun_phrase
    if _named_agent(span, label):
        return "who", noun_phrase
    return "what", noun_phrase


def _is_copular_number(span: Span) -> bool:
    """A bare number that is the complement of "be" ("… is 312", "… was 7708596"), counting
    no noun of its own."""
    root = span.root
    return (
        root.dep_ == "attr"
        and root.head.lemma_ == "be"
        and all(t.like_num or t.is_punct for t in span)
    )


def _named_agent(span: Span, label: str) -> bool:
    """Whether the answer is a name that did the verb's action: in a passive's by-phrase
    ("made by Parkhound Toshock"), or a name of two words or more as the subject of an active
    verb with an object ("Kulmeil Thoufil founded the Veskmaen Guild").

    The recognizer reads many invented person names as nothing, a nationality or a place, and
    "What made the Tathen clock?" then asks about a thing; whoever a name is that did the
    verb's action is asked with "who" ("Who made the iPhone?" reads as well for a company).
    A one-word subject is left to its label ("Paris has a harbour" is no agent), and so is a
    name with an article: "The Herring Fair fills Ostvik with music" is an event.
    """
    root = span.root
    if label not in _MISREAD_NAMES or root.pos_ != "PROPN":
        return False
    if root.dep_ == "pobj" and root.head.dep_ == "agent":
        return True
    verb = root.head
    return (
        root.dep_ == "nsubj"
        and sum(t.pos_ == "PROPN" for t in span) >= 2
        and not any(c.dep_ == "det" for c in root.children)
        and verb.pos_ == "VERB"
        and verb.lemma_ not in ("be", "have")
        and any(c.dep_ == "dobj" for c in verb.children)
    )


def _is_preposition(token: Token) -> bool:
    """A preposition that heads an adjunct or agent phrase. The parser also attaches "in" as
    the verb's predicate complement ("The Vasken bell is kept in Komford": ``oprd``), where it
    is the same place phrase and is asked "Where is the Vasken bell kept?"."""
    return token.dep_ in ("prep", "agent") or (token.dep_ == "oprd" and token.pos_ == "ADP")


def _governor(token: Token) -> Token | None:
    """The verb (or copula) whose clause the token belongs to directly, or None."""
    if token.dep_ == "appos" and token.head.dep_ in _SUBJECTS:
        return _governor(token.head)  # "The mayor, Sigrun Hale, was elected": the subject's verb
    head = token.head
    if head.pos_ in ("VERB", "AUX") and head is not token:
        return head
    if token.dep_ == "ROOT" and token.pos_ in ("VERB", "AUX"):
        return token
    return None


def _clause(verb: Token) -> list[Token]:
    """The verb's clause without coordinated clauses and the closing punctuation."""
    dropped: set[int] = set()
    for child in verb.children:
        if child.dep_ == "conj" and child.pos_ in ("VERB", "AUX"):
            dropped |= {t.i for t in child.subtree}
        if child.dep_ == "cc" and any(c.dep_ == "conj" for c in verb.children):
            dropped.add(child.i)
    for child in verb.children:
        if child.dep_ == "conj" and any(t.dep_ in _SUBJECTS for t in child.subtree):
            dropped |= {t.i for t in child.subtree}  # "..., and children travel free"
            dropped |= {c.i for c in verb.children if c.dep_ == "cc"}
    tokens = [t for t in verb.subtree if t.i not in dropped and not t.is_space]
    return _without_closing_punctuation(tokens)


def _without_closing_punctuation(tokens: list[Token]) -> list[Token]:
    """``tokens`` without the sentence's closing punctuation, but with a bracket that closes one
    opened inside them: '… and "Suicide Squad" (2016).' asks '… (2016)?', not '… (2016?'.
    (Quotes are left as they were: a straight quote does not say whether it opens or closes.)"""
    tokens = list(tokens)
    while tokens and tokens[-1].is_punct:
        last, kept = tokens[-1].text, tokens[:-1]
        opened = {")": "(", "]": "["}.get(last)
        if opened is not None and sum(t.text == opened for t in kept) > sum(
            t.text == last for t in kept
        ):
            break
        tokens = kept
    return tokens


def _question(parts: list[str]) -> str:
    text = " ".join(p for p in parts if p)
    text = re.sub(r"\s+([,.;:!?%)]|'s\b)", r"\1", text).strip(" ,;:")
    return _sentence_case(text) + "?"


def _do_support(wh: str, verb: Token, subject: str, rest: list[Token], last: str = "") -> str:
    """A question with do-support, the clause's words before the verb kept before it: "Who
    does Edda Mirel often visit?", not "… visit often?"."""
    before = [t for t in rest if t.i < verb.i]
    after = [t for t in rest if t.i > verb.i]
    parts = [wh, _DO[verb.tag_], subject, detokenize(before), verb.lemma_, detokenize(after), last]
    return _question(parts)


def _measured(top: Token) -> Token | None:
    """The adjective a measure phrase measures: 'high' in '214 metres high', 'away' in
    'forty-two kilometres away' — asked as 'how high', 'how far away'."""
    head = top.head
    if top.dep_ == "npadvmod" and head.pos_ in ("ADJ", "ADV") and head is not top:
        return head
    return None


def _fronted(span: Span, label: str) -> list[Phrasing]:
    top = _attachment(span)
    wh, replaced = _wh_phrase(span, label, top)
    measured = _measured(top) if label in _NUMBER_LABELS else None
    if measured is not None:
        wh = "how far away" if measured.lower_ == "away" else f"how {measured.lower_}"
        replaced = {t.i for t in measured.subtree}
        if measured.dep_ == "acomp":  # "long and never more than three kilometres wide"
            others = [c for c in measured.head.children if c.dep_ in ("acomp", "cc")]
            replaced |= {t.i for c in others for t in c.subtree}
        top = measured
    unit_head = top
    preposition = None
    if top.dep_ in ("pobj", "pcomp") and _is_preposition(top.head):
        preposition = top.head
        unit_head = preposition
    verb = _governor(unit_head)
    if verb is None or (
        verb.tag_ == "VBN" and not any(c.dep_ in ("aux", "auxpass") for c in verb.children)
    ):
        return []  # "the ferry, called the Silver Heron, ...": see _naming()
    clause = _clause(verb)
    reply = _sentence_case(detokenize(clause)) + "."
    if not reply.strip(" .") or span.text not in reply:
        return []
    unit = replaced | ({t.i for t in preposition.subtree} if preposition is not None else set())
    subject = next((c for c in verb.children if c.dep_ in _SUBJECTS), None)
    if subject is None:
        return []
    subject_ids = {t.i for t in subject.subtree}
    subject_tokens = list(subject.subtree)
    if subject.tag_ in ("WP", "WDT") and verb.dep_ == "relcl":  # "..., who arrived in 2009"
        antecedent = verb.head
        subject_tokens = _antecedent(antecedent)
        clause = [t for t in clause if t.i not in subject_ids]
        subject_ids = subject_ids | {t.i for t in subject_tokens}
        clause = sorted(subject_tokens + clause, key=lambda t: t.i)
        clause = [t for t in clause if t.i in subject_ids or t.i in {x.i for x in verb.subtree}]
        reply = _sentence_case(detokenize(clause)) + "."
    elif verb.dep_ == "advcl" and (stand_in := _pronoun_antecedent(subject, verb.head)):
        # "..., when they float 312 paper lanterns": "The islanders float 312 paper lanterns."
        marker = {c.i for c in verb.children if c.dep_ == "mark" or c.tag_ == "WRB"}
        clause = [t for t in clause if t.i not in subject_ids | marker]
        subject_tokens = stand_in
        subject_ids = {t.i for t in stand_in}
        clause = sorted(stand_in + clause, key=lambda t: t.i)
        reply = _sentence_case(detokenize(clause)) + "."
    # Adverbials before the subject ("In autumn the fair fills ...") stay in the reply only:
    # after a fronted wh-phrase they would read "What In autumn fills ...?".
    first_subject = min(subject_ids)
    fronted_adverbials = {
        t.i
        for c in verb.children
        if c.i < first_subject and c.dep_ in ("prep", "npadvmod", "advmod", "advcl", "punct")
        for t in c.subtree
    }
    clause_for_question = [t for t in clause if t.i not in fronted_adverbials]
    if any(
        t.tag_ in ("WDT", "WP", "WRB") and t.i not in subject_ids | unit
        for t in clause_for_question
    ):
        return []  # "which the islanders call ...": the relative pronoun has no question form
    answer = span.text
    results: list[Phrasing] = []
    if subject_ids & {t.i for t in span}:  # the answer is (in) the subject: it becomes the wh
        rest = [t for t in clause_for_question if t.i not in subject_ids | unit]
        if subject.dep_ == "nsubj" and wh in ("what year", "when"):
            return []
        heads_subject = span.root.i == subject.i or span.root.head.i == subject.i
        if not heads_subject:  # "The Laen lantern was made ...": "Laen" alone is not the subject
            return []
        pronoun = "who" if wh == "who" else "that"
        described = _description(label, f"the {_NOUNS.get(label, 'one')} {pronoun}", rest)
        results.append(
            Phrasing(_question([wh, detokenize(rest)]), answer, reply, "fronted", described)
        )
        results += _reverse_of_subject(verb, clause_for_question, subject, span, reply)
        return results
    if preposition is not None:
        word = preposition.text.lower()
        if label in _PLACE_LABELS and word in _PLACE_PREPOSITIONS:
            wh = "where"
        elif wh in ("what year", "when") and word in _TIME_PREPOSITIONS:
            wh = "in what year" if wh == "what year" else "when"
        elif wh in ("how long", "on which day"):
            pass  # "for fifty years" -> "how long", "on Thursday" -> "on which day"
        elif preposition.dep_ == "agent":
            wh = "by whom" if wh == "who" else "by what"
        else:
            wh = f"{word} {'whom' if wh == 'who' else wh}"
    auxiliaries = [c for c in verb.children if c.dep_ in ("aux", "auxpass") and c.i < verb.i]
    others = [t for t in clause_for_question if t.i not in subject_ids | unit]
    subject_text = _lowercase_start(subject_tokens)

    def asked(rest: list[Token]) -> str | None:
        if auxiliaries:
            first = auxiliaries[0]
            kept = [t for t in rest if t.i != first.i]
            return _question([wh, first.text.lower(), subject_text, detokenize(kept)])
        kept = [t for t in rest if t.i != verb.i]
        if verb.lemma_ == "be":
            return _question([wh, verb.text.lower(), subject_text, detokenize(kept)])
        if verb.tag_ in _DO:
            return _do_support(wh, verb, subject_text, kept)
        return None

    question = asked(others)
    if question is None:
        return []
    # the question as readers ask it, without the clause's other adjuncts ("In what year did
    # the cargo ship Marrowind run aground?", not "... on the Knuckle Reef with a cargo of
    # copper bells?"), right after the full one
    adjuncts = {
        t.i
        for c in verb.children
        if c.dep_ in _ADJUNCTS
        and c.i not in unit
        and c.i > verb.i
        # a name or a number may be what tells this clause from another: it stays
        and not any(t.pos_ in ("PROPN", "NUM") for t in c.subtree)
        for t in c.subtree
    }
    short = asked([t for t in others if t.i not in adjuncts]) if adjuncts else None
    described = ""
    relative = _RELATIVES.get(label)
    if relative and (preposition is None or label not in _PLACE_LABELS or wh == "where"):
        statement = [t for t in clause_for_question if t.i not in unit]
        described = _description(label, f"the {_NOUNS[label]} {relative}", statement)
    results.append(Phrasing(question, answer, reply, "fronted", described))
    if short is not None and short != question:
        results.append(Phrasing(short, answer, reply, "short_question"))
    if preposition is not None and preposition.dep_ == "agent" and len(auxiliaries) == 1:
        by_whom = wh == "by whom"
        results += _active(verb, auxiliaries[0], subject, top, span, clause, unit, by_whom)
    named = label in _PERSON_LABELS or label in _NAMED_LABELS
    if verb.lemma_ == "be" and top.dep_ == "attr" and named and top.i in {t.i for t in span}:
        # "The keeper is Edda Mirel" (not "a 2012 film": a modifier is no name to ask about)
        subject_np = detokenize(list(subject.subtree))
        who = "Who" if label in _PERSON_LABELS else "What"
        back = f"{answer} {verb.text.lower()} {_lowercase_start(list(subject.subtree))}."
        results.append(
            Phrasing(f"{who} {verb.text.lower()} {answer}?", subject_np, back, "reverse")
        )
    return results


def _pronoun_antecedent(pronoun: Token, main_verb: Token) -> list[Token] | None:
    """The main clause's subject that an adverbial clause's subject pronoun stands for ("the
    islanders hold the festival, when they float ..."), where the two agree; else None."""
    if pronoun.tag_ != "PRP" or pronoun.i < main_verb.i:
        return None
    subject = next((c for c in main_verb.children if c.dep_ in _SUBJECTS), None)
    if subject is None or subject.pos_ not in ("NOUN", "PROPN"):
        return None
    plural = subject.tag_ in ("NNS", "NNPS")
    person = subject.ent_type_ == "PERSON"
    agrees = {"they": plural, "he": person, "she": person, "it": not plural and not person}
    return _antecedent(subject) if agrees.get(pronoun.lower_, False) else None


def _antecedent(noun: Token) -> list[Token]:
    """The noun phrase a relative pronoun stands for, without its relative clause."""
    for entity in noun.doc.ents:
        if entity.start <= noun.i < entity.end:
            return list(entity)
    skip = {t.i for c in noun.children if c.dep_ in ("relcl", "appos", "punct") for t in c.subtree}
    return [t for t in noun.subtree if t.i not in skip]


def _naming(span: Span) -> list[Phrasing]:
    """'a grey parrot named Biscuit', 'the ferry, called the Silver Heron': what it is called."""
    verb = span.root.head
    if span.root.dep_ not in ("oprd", "dobj", "attr") or verb.lemma_ not in _NAMING_LEMMAS:
        return []
    if verb.dep_ != "acl":
        return []
    noun = verb.head
    skip = {t.i for t in verb.subtree} | {
        t.i for c in noun.children if c.dep_ in ("relcl", "appos") for t in c.subtree
    }
    phrase = [t for t in noun.subtree if t.i not in skip and not t.is_punct]
    named = _lowercase_start(phrase)
    if not named:
        return []
    reply = f"{_sentence_case(named)} is called {span.text}."
    plain = [
        Phrasing(f"What is {named} called?", span.text, reply, "naming"),
        Phrasing(f"What is the name of {named}?", span.text, reply, "naming"),
    ]
    reverse = Phrasing(f"What is {span.text}?", named, f"{span.text} is {named}.", "reverse")
    owned = _owned(noun, phrase)
    if not owned:
        return [*plain, reverse]
    owned_reply = f"{owned} is called {span.text}."
    by_keeper = [
        Phrasing(f"What is the name of {owned}?", span.text, owned_reply, "naming"),
        Phrasing(f"What is {owned} called?", span.text, owned_reply, "naming"),
    ]
    # interleaved, the keeper's form first: the per-fact cap keeps both kinds
    return [by_keeper[0], plain[0], by_keeper[1], plain[1], reverse]


def _owned(noun: Token, phrase: list[Token]) -> str:
    """'Edda's grey parrot' for 'Edda keeps a grey parrot named Biscuit': the named thing as its
    keeper's, so that the name is asked the way a reader asks it ("What is the name of Edda's
    parrot?"); '' unless the thing is the object of a verb whose subject is a name."""
    if noun.dep_ != "dobj":
        return ""
    owners = [c for c in noun.head.children if c.dep_ == "nsubj" and c.pos_ == "PROPN"]
    if not owners:
        return ""
    owner = detokenize(list(owners[0].subtree))
    kept = [t for t in phrase if t.dep_ not in ("det", "poss")]
    return f"{owner}'s {detokenize(kept)}" if kept else ""


_MAX_DESCRIPTION_WORDS = 12


def _description(label: str, opening: str, tokens: list[Token]) -> str:
    """'the place where Orla was born': a named answer described by its fact, for composing
    multi-hop questions; '' where that would not read as a name's description."""
    if label not in _PERSON_LABELS | _NAMED_LABELS or not tokens:
        return ""
    if any(t.is_punct for t in tokens):  # commas mean a clause the parse could not place
        return ""
    text = lowercase_start(detokenize(tokens), tokens[0])
    described = f"{opening} {text}"
    return described if 2 <= len(text.split()) <= _MAX_DESCRIPTION_WORDS else ""


def _active(
    verb: Token,
    auxiliary: Token,
    subject: Token,
    agent: Token,
    span: Span,
    clause: list[Token],
    unit: set[int],
    by_whom: bool,
) -> list[Phrasing]:
    """'X was built by Y' asked as 'Who built X?' (``by_whom``: the passive asked 'by whom',
    else 'What built X?') and, reversed, 'What did Y build?'."""
    tense = "VBD" if auxiliary.tag_ == "VBD" else "VBZ"
    form = _inflect(verb.lemma_, tense)
    subject_ids = {t.i for t in subject.subtree}
    rest = [t for t in clause if t.i not in subject_ids | unit | {verb.i, auxiliary.i}]
    patient = _lowercase_start(list(subject.subtree))
    agent_np = detokenize(list(agent.subtree))
    reply = _question([agent_np, form, patient, detokenize(rest)])[:-1] + "."
    who = "Who" if by_whom else "What"
    do = "did" if tense == "VBD" else "does"
    active_question = _question([who, form, patient, detokenize(rest)])
    opening = "the person who" if who == "Who" else "the one that"
    described = f"{opening} {active_question[len(who) + 1 : -1]}"
    return [
        Phrasing(active_question, span.text, reply, "active", described),
        Phrasing(
            _question(["what", do, span.text, verb.lemma_, detokenize(rest)]),
            detokenize(list(subject.subtree)),
            reply,
            "reverse",
        ),
    ]


def _reverse_of_subject(
    verb: Token, clause: list[Token], subject: Token, span: Span, reply: str
) -> list[Phrasing]:
    """'Edda keeps a grey parrot' asked from the subject's side: 'What does Edda keep?'; so are
    a role ('Edda works as a falconer': 'What does Edda work as?') and a copular description
    ('Edda is a carpenter': 'What is Edda?')."""
    results = []
    subject_ids = {t.i for t in subject.subtree}
    objects = [c for c in verb.children if c.dep_ in ("dobj", "attr")]
    roles = [
        c
        for p in verb.children
        if p.dep_ == "prep" and p.lower_ == "as"
        for c in p.children
        if c.dep_ == "pobj" and c.pos_ == "NOUN"
    ]
    if objects and verb.tag_ in _DO and verb.lemma_ != "be":
        obj = objects[0]
        object_ids = {t.i for t in obj.subtree}
        rest = [t for t in clause if t.i not in object_ids | subject_ids | {verb.i}]
        question = _do_support("what", verb, span.text, rest)
        results.append(Phrasing(question, detokenize(list(obj.subtree)), reply, "reverse"))
    elif objects and verb.lemma_ == "be" and objects[0].pos_ == "NOUN":
        obj = objects[0]
        object_ids = {t.i for t in obj.subtree}
        rest = [t for t in clause if t.i not in object_ids | subject_ids | {verb.i}]
        question = _question(["what", verb.text.lower(), span.text, detokenize(rest)])
        results.append(Phrasing(question, detokenize(list(obj.subtree)), reply, "reverse"))
    elif roles and not objects and verb.tag_ in _DO:
        role = roles[0]
        role_ids = {t.i for t in role.head.subtree}
        rest = [t for t in clause if t.i not in role_ids | subject_ids | {verb.i}]
        question = _do_support("what", verb, span.text, rest, "as")
        results.append(Phrasing(question, detokenize(list(role.subtree)), reply, "reverse"))
        if verb.lemma_ in _OCCUPATION_VERBS and not detokenize(rest).strip(" ,."):
            # the role as readers ask for it: "What is Edda's job?" as well as "What does Edda
            # work as?" (the memory answered "What is X's profession?" with another passage's
            # description while "What does X work as?" was trained: docs/benchmarks.md)
            owner = f"{span.text}'" if span.text.endswith("s") else f"{span.text}'s"
            job = f"What is {owner} job?"
            results.append(Phrasing(job, detokenize(list(role.subtree)), reply, "reverse"))
    return results


_COUNTING_DETERMINERS = frozenset({"a", "an", "one", "its", "their", "his", "her"})


def _apposition(span: Span, label: str) -> list[Phrasing]:
    """A name in apposition — 'The mayor, Sigrun Hale, ...', 'one teacher, Aldric Penn',
    'the engineer Orla Fenwick' — asked both ways: 'Who is the mayor?', 'Who is Sigrun Hale?'."""
    root = span.root
    if root.dep_ != "appos" or root.head is root:
        return []
    head = root.head
    dropped = {t.i for t in root.subtree}
    for child in head.children:
        trailing = (
            child.dep_ in ("relcl", "conj", "cc", "acl", "appos", "prep", "npadvmod", "advmod")
            and child.i > head.i
        )  # "The island doctor, Marit Osk, crosses ... once a month": no part of the role
        # a prepositional phrase before the name belongs to the role: "keeper of the lighthouse"
        if trailing and (child.dep_ != "prep" or child.i > root.i):
            dropped |= {t.i for t in child.subtree}
    role = [t for t in head.subtree if t.i not in dropped and not t.is_punct]
    if role and role[0].lower_ in _COUNTING_DETERMINERS:  # "one teacher" -> "the teacher"
        role = role[1:]
        prefix = "the "
    else:
        prefix = ""
    role_text = prefix + _lowercase_start(role)
    if not role or role_text.lower() == span.text.lower() or span.text in role_text:
        return []
    who = "Who" if label in _PERSON_LABELS or head.ent_type_ == "PERSON" else "What"
    capital = _sentence_case(role_text)
    return [
        Phrasing(f"{who} is {role_text}?", span.text, f"{capital} is {span.text}.", "apposition"),
        Phrasing(
            f"{who} is {span.text}?",
            capital,
            _sentence_case(f"{span.text} is {role_text}."),
            "reverse",
        ),
    ]


def _in_situ(sentence: Span, span: Span, label: str) -> Phrasing:
    top = _attachment(span)
    wh, replaced = _wh_phrase(span, label, top)
    if span.root.dep_ in ("oprd", "appos") or wh == "how many":
        replaced = {t.i for t in span}
    if wh == "on which day":  # in place, after its own preposition: "climb ... on which day"
        wh = "which day"
    tokens = _without_closing_punctuation([t for t in sentence if not t.is_space])
    first = min(replaced)
    words: list[str] = []
    previous = None
    for t in tokens:
        if t.i == first:
            words.append(("" if not words or words[-1].endswith(" ") else " ") + wh + " ")
        if t.i in replaced:
            continue
        # the text's own spacing ("restless-badger" stays one word), and a space where
        # tokens were taken out between two kept ones
        if previous is not None and t.i != previous + 1 and not words[-1].endswith(" "):
            words.append(" ")
        words.append(t.text + t.whitespace_)
        previous = t.i
    text = re.sub(r"\s+", " ", "".join(words))
    text = re.sub(r"\s+([,.;:!?%)]|'s\b)", r"\1", text).strip(" ,")
    return Phrasing(_sentence_case(text) + "?", span.text, sentence.text.strip(), "in_situ")


def _variants(phrasing: Phrasing, sentence: Span) -> list[Phrasing]:
    """Surname-only and 'the'-for-'its' rewordings of a question (the reply stays)."""
    results = []
    for entity in sentence.ents:
        words = entity.text.split()
        if entity.label_ == "PERSON" and len(words) >= 2 and entity.text in phrasing.question:
            short = phrasing.question.replace(entity.text, words[-1])
            results.append(Phrasing(short, phrasing.answer, phrasing.reply, "short_name"))
    for pattern, synonym in _WH_SYNONYMS:
        reworded = pattern.sub(synonym, phrasing.question, count=1)
        if reworded != phrasing.question:
            results.append(Phrasing(reworded, phrasing.answer, phrasing.reply, "synonym"))
    plain = _POSSESSIVE_DETERMINERS.sub("the", phrasing.question)
    if plain != phrasing.question:
        results.append(Phrasing(plain, phrasing.answer, phrasing.reply, "plain_determiner"))
    return results


def phrasings(sentence: Span, span: Span, label: str) -> list[Phrasing]:
    """Every distinct phrasing of the fact ``span`` of ``sentence``, best first."""
    main = _naming(span) + _fronted(span, label) + _apposition(span, label)
    candidates = [*main]
    for phrasing in main:
        candidates += _variants(phrasing, sentence)
    candidates.append(_in_situ(sentence, span, label))
    seen: set[str] = set()
    unique = []
    for phrasing in candidates:
        key = phrasing.question.lower()
        if key not in seen and len(phrasing.question.split()) >= 3:
            seen.add(key)
            unique.append(phrasing)
    return unique
