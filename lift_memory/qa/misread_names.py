"""A sentence that opens with an invented name the tagger reads as a verb, parsed again.

"Heirkmaend Kiomshath works as a falconer." is parsed by spaCy's small English pipeline as a
command: the first word, which it has never seen, becomes the verb and the rest its objects.
The sentence then gives a broken question ("Heirkmaend who works as a falconer?") and none
about its fact. Parsed with a common first name in the unknown word's place ("John Kiomshath
works as a falconer.") it reads right; that parse is carried back onto the original words, so
every question and reply still spells the name as the corpus does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lift_memory.qa.casing import keeps_capital

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span

# a first name the pipeline knows well: what it stands in for is parsed as a person's name
STAND_IN = "John"
# the tags of a sentence-opening verb read as a command
_COMMAND_TAGS = frozenset({"VB", "VBP"})


def opens_with_misread_name(sentence: Span) -> bool:
    """Whether the sentence opens with an unknown capitalised word tagged as a command verb
    and followed by a proper noun: an invented first name, not "Visit Paris in spring"."""
    if len(sentence) < 3:
        return False
    first, following = sentence[0], sentence[1]
    # keeps_capital: capitalised and unknown to English (casing.py)
    return first.tag_ in _COMMAND_TAGS and following.pos_ == "PROPN" and keeps_capital(first)


def reparsed(sentence: Span, nlp: Language) -> Span:
    """The sentence parsed with ``STAND_IN`` for its first word, on its own words."""
    from spacy.tokens import Doc

    words = [t.text for t in sentence]
    spaces = [bool(t.whitespace_) for t in sentence]
    parsed = nlp(Doc(nlp.vocab, words=[STAND_IN, *words[1:]], spaces=spaces))
    entities = [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_type_ else "O" for t in parsed]
    doc = Doc(
        nlp.vocab,
        words=words,
        spaces=spaces,
        tags=[t.tag_ for t in parsed],
        pos=[t.pos_ for t in parsed],
        lemmas=[words[0], *(t.lemma_ for t in parsed[1:])],
        heads=[t.head.i for t in parsed],
        deps=[t.dep_ for t in parsed],
        ents=entities,
    )
    return doc[:]
