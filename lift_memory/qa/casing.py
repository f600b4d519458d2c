"""Whether a sentence's first word keeps its capital when a question moves it inside.

"The school was built in 1902." → "In what year was the school built?": a common word loses the
capital it had only for opening the sentence. An invented name must keep it: spaCy's small
English pipeline tags a one-word name it has never seen at the start of a sentence as a noun,
adjective or adverb ("Tunhaven was founded in 1424." → NOUN), and lower-casing it made the
question ask about "tunhaven", a different token sequence from the name the corpus and the
reply spell. So a word keeps its capital unless English knows it: a determiner or pronoun, a
stop word, or a word with a lemma in lemminflect's dictionary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token

_FUNCTION_POS = frozenset({"DET", "PRON", "ADP", "CCONJ", "SCONJ", "PART", "NUM"})


def keeps_capital(first: Token) -> bool:
    """Whether ``first`` (a phrase's first token) is spelled as it is when not opening a
    sentence: a proper noun, "I", or a word no English dictionary knows (an invented name)."""
    if first.pos_ == "PROPN" or first.text == "I":
        return True
    if first.pos_ in _FUNCTION_POS or first.is_stop or not first.text[:1].isupper():
        return False
    from lemminflect import getAllLemmas

    return not getAllLemmas(first.text.lower())


def lowercase_start(text: str, first: Token) -> str:
    """``text`` (a phrase opening with ``first``) as it reads inside a sentence."""
    return text if keeps_capital(first) else text[:1].lower() + text[1:]
