"""Simpler sentences from one parsed sentence, so that facts inside modifiers can be asked.

The phrasing rules of `fact_questions.py` turn a clause into questions ("Who built its only
lighthouse?"), but a fact inside a modifier has no clause of its own: "Kettle Tor, a granite
hill 214 metres high" or "the strongest storm on record, which the islanders still call the
Grey Week, struck ..." get only the stilted in-situ question, which no reader asks. Each such
modifier is restated here as a sentence of its own, from the dependency parse:

- a relative clause with its antecedent in the relative pronoun's place
  ("The islanders still call the strongest storm on record the Grey Week.");
- a participle or an apposition after a comma as a copular sentence
  ("Kettle Tor is a granite hill 214 metres high.", "The island's bakery is run by Tomas Quill.");
- the main clause and every coordinated clause with a subject of its own, without the modifiers
  ("The strongest storm on record struck in January 1976 and tore the roof off the school.").

:func:`resolve_pronoun` replaces a sentence-initial "It" / "Its" by the previous sentence's
subject, so that "Its lamp can be seen from forty-two kilometres away" names what it is about.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lift_memory.qa.casing import lowercase_start
from lift_memory.qa.detokenize import detokenize

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

_MODIFIERS = frozenset({"relcl", "acl", "appos"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass"})
_RELATIVE_PRONOUN_TAGS = frozenset({"WDT", "WP"})
_THINGS = frozenset({"GPE", "LOC", "FAC", "ORG", "PRODUCT", "EVENT", "WORK_OF_ART"})
_SET_OFF_MARKS = frozenset({",", ":", ";", "—", "–"})


def _set_off(token: Token) -> bool:
    """Whether the modifier's phrase follows a comma or colon (non-restrictive: "X, which")."""
    first = min(t.i for t in token.subtree)
    return first > 0 and token.doc[first - 1].text in _SET_OFF_MARKS


def _modifier_tokens(token: Token) -> set[int]:
    """The modifier's phrase with the commas that set it off."""
    ids = {t.i for t in token.subtree}
    doc = token.doc
    before, after = min(ids) - 1, max(ids) + 1
    if before >= 0 and doc[before].text in _SET_OFF_MARKS:
        ids.add(before)
    if after < len(doc) and doc[after].text == ",":
        ids.add(after)
    return ids


def _dropped_modifiers(tokens: list[Token]) -> set[int]:
    """The non-restrictive modifiers among ``tokens``: a restrictive relative clause ("every
    ship that has called at Ostvik") is part of what the sentence says and stays."""
    dropped: set[int] = set()
    for t in tokens:
        if t.dep_ in _MODIFIERS and _set_off(t):
            dropped |= _modifier_tokens(t)
    return dropped


def _noun_phrase(noun: Token) -> str:
    """The noun's phrase without its modifiers after a comma and its relative clauses."""
    tokens = list(noun.subtree)
    dropped = _dropped_modifiers([t for t in tokens if t.i != noun.i])
    dropped |= {t.i for c in noun.children if c.dep_ == "relcl" for t in c.subtree}
    kept = [t for t in tokens if t.i not in dropped and not t.is_space]
    while kept and kept[-1].is_punct:
        kept.pop()
    return detokenize(kept)


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,;:")
    text = re.sub(r"\s+([,.;:!?%)]|'s\b)", r"\1", text)
    return text[:1].upper() + text[1:] + "." if text else ""


def _be(noun: Token, past: bool) -> str:
    plural = noun.tag_ in ("NNS", "NNPS")
    return ("were" if plural else "was") if past else ("are" if plural else "is")


def _past(sentence: Span, tokens: list[Token]) -> bool:
    """Past tense for a restated participle: the sentence's verb is, or the phrase holds a date."""
    root = sentence.root
    verbs = [root, *(c for c in root.children if c.dep_ in ("aux", "auxpass"))]
    return any(v.tag_ == "VBD" for v in verbs) or any(t.ent_type_ == "DATE" for t in tokens)


def _coordinated_clauses(verb: Token) -> list[Token]:
    """The verbs coordinated with ``verb`` (transitively) that have a subject of their own."""
    found = []
    for child in verb.children:
        if child.dep_ == "conj" and child.pos_ in ("VERB", "AUX"):
            if any(x.dep_ in _SUBJECTS for x in child.children):
                found.append(child)
            found += _coordinated_clauses(child)
    return found


def _clauses(sentence: Span) -> list[str]:
    """The main clause and each coordinated clause with a subject of its own, without the
    non-restrictive modifiers."""
    root = sentence.root
    own = _coordinated_clauses(root)
    dropped = _dropped_modifiers(list(sentence))
    results = []
    for verb in [root, *own]:
        skip = set(dropped)
        for c in own:
            if c.i != verb.i and c.i in {t.i for t in verb.subtree}:
                skip |= {t.i for t in c.subtree}
                skip |= {x.i for x in c.head.children if x.dep_ == "cc" and x.i < c.i}
        tokens = [t for t in verb.subtree if t.i not in skip and not t.is_space]
        while tokens and (tokens[-1].is_punct or tokens[0].dep_ == "cc"):
            tokens = tokens[:-1] if tokens[-1].is_punct else tokens[1:]
        results.append(_sentence(detokenize(tokens)))
    return results


def _relative_clause(clause: Token) -> str:
    """'..., which the islanders still call the Grey Week' with the antecedent in place."""
    pronoun = next(
        (t for t in clause.subtree if t.tag_ in _RELATIVE_PRONOUN_TAGS and t.head.i == clause.i),
        None,
    )
    if pronoun is None or pronoun.dep_ not in ("nsubj", "nsubjpass", "dobj"):
        return ""  # "where it still rings", "whose ...": no plain restatement
    noun = clause.head
    antecedent = _noun_phrase(noun)
    tokens = [t for t in clause.subtree if not t.is_space and t.i not in _inner(clause)]
    before = [t for t in tokens if t.i < pronoun.i]
    after = [t for t in tokens if t.i > pronoun.i]
    if pronoun.dep_ == "dobj":  # "which the islanders call X" -> "the islanders call <noun> X"
        if not any(t.dep_ in _SUBJECTS for t in after):
            return ""
        head = [t for t in after if t.i <= clause.i]
        tail = [t for t in after if t.i > clause.i]
        first = noun.doc[min(t.i for t in noun.subtree)]
        text = f"{detokenize(head)} {lowercase_start(antecedent, first)} {detokenize(tail)}"
        return _sentence(text)
    return _sentence(f"{detokenize(before)} {antecedent} {detokenize(after)}")


def _named(noun: Token) -> bool:
    """A noun phrase that names one thing ("a grey parrot named Biscuit"), so that its
    restrictive relative clause can be restated of it; "every ship that ..." cannot."""
    clauses = {t.i for c in noun.children if c.dep_ == "relcl" for t in c.subtree}
    return any(t.pos_ == "PROPN" for t in noun.subtree if t.i not in clauses)


def _inner(modifier: Token) -> set[int]:
    """Modifiers nested inside a modifier: restated on their own, left out of this one."""
    return _dropped_modifiers([t for t in modifier.subtree if t.i != modifier.i])


def _copular(modifier: Token, sentence: Span) -> list[str]:
    """'X, planted by Y in 1881' -> 'X was planted by Y in 1881'; 'X, a granite hill' ->
    'X is a granite hill'."""
    noun = modifier.head
    tokens = [t for t in modifier.subtree if not t.is_space and t.i not in _inner(modifier)]
    while tokens and tokens[-1].is_punct:
        tokens.pop()
    if not tokens:
        return []
    if modifier.dep_ == "acl" and modifier.tag_ != "VBN":
        return []  # "a hill rising ...": no copula restates it
    if modifier.dep_ == "appos" and modifier.pos_ == "PROPN":
        return []  # names in apposition: fact_questions._apposition asks them both ways
    subject = _noun_phrase(noun)
    be = _be(noun, _past(sentence, tokens))
    restated = [_sentence(f"{subject} {be} {detokenize(tokens)}")]
    if modifier.dep_ == "appos":
        restated.append(_measure(subject, be, modifier))
    return restated


def _measure(subject: str, be: str, noun: Token) -> str:
    """'Kettle Tor is a granite hill 214 metres high' -> 'Kettle Tor is 214 metres high': the
    measure of a described thing, said of the thing itself ("How high is Kettle Tor?")."""
    for adjective in noun.children:
        measures = [c for c in adjective.children if c.dep_ == "npadvmod"]
        if adjective.dep_ == "amod" and adjective.pos_ == "ADJ" and measures:
            phrase = list(measures[0].subtree)
            if any(t.like_num for t in phrase):
                return _sentence(f"{subject} {be} {detokenize(phrase)} {adjective.text}")
    return ""


def _root_measure(sentence: Span) -> str:
    root = sentence.root
    subject = next((c for c in root.children if c.dep_ in _SUBJECTS), None)
    attribute = next((c for c in root.children if c.dep_ == "attr"), None)
    if root.lemma_ != "be" or subject is None or attribute is None:
        return ""
    return _measure(_noun_phrase(subject), root.text, attribute)


def simpler_sentences(sentence: Span) -> list[str]:
    """The sentence's clauses and modifiers restated as simple sentences, each different from
    the sentence itself; [] where it is simple already."""
    if sentence.root.pos_ not in ("VERB", "AUX"):
        return []  # a misparse ("The island doctor, Marit Osk, crosses" read as nouns)
    found = _clauses(sentence)
    for token in sentence:
        if token.dep_ == "relcl" and (_set_off(token) or _named(token.head)):
            found.append(_relative_clause(token))
        elif token.dep_ in ("acl", "appos") and _set_off(token):
            found += _copular(token, sentence)
    found.append(_root_measure(sentence))
    original = _sentence(sentence.text.strip().rstrip(".!?"))
    unique = []
    for text in found:
        if text and text != original and text not in unique and len(text.split()) >= 4:
            unique.append(text)
    return unique


def subject_phrase(sentence: Span) -> str | None:
    """The main clause's subject, for a following "It": a singular common noun phrase ("The
    island of Varnholm") or a name recognized as a place or a thing, else None. A subject with
    a named apposition is named by it ("the Green Anchor"); a possessive subject ("Varnholm's
    only lighthouse", restated from "Its only lighthouse") by its noun: "the only lighthouse".
    """
    subject = next((c for c in sentence.root.children if c.dep_ in _SUBJECTS), None)
    if subject is None or subject.pos_ not in ("NOUN", "PROPN"):
        return None
    if subject.tag_ in ("NNS", "NNPS"):
        return None
    if subject.pos_ == "PROPN" and subject.ent_type_ not in _THINGS:
        return None  # a name could be a person's (invented names fool the recognizer)
    # "The island's only shop, the Green Anchor, sells ...": "Its owner" is the Green Anchor's
    named = next(
        (c for c in subject.children if c.dep_ == "appos" and c.ent_type_ in _THINGS), None
    )
    if named is not None:
        return _noun_phrase(named)
    phrase = _noun_phrase(subject)
    if "'s " in phrase:
        phrase = "the " + phrase.split("'s ", 1)[1]
    return phrase


def resolve_pronoun(sentence: Span, antecedent: str | None) -> str | None:
    """The sentence with a leading "It" / "Its" replaced by ``antecedent``, or None."""
    if antecedent is None or len(sentence) < 2:
        return None
    first = sentence[0]
    if first.lower_ not in ("it", "its") or first.dep_ not in ("nsubj", "nsubjpass", "poss"):
        return None
    named = antecedent[:1].upper() + antecedent[1:]
    replacement = f"{named}'s" if first.lower_ == "its" else named
    return replacement + sentence.text[len(first.text) :]
