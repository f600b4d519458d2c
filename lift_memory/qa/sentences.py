"""Split a corpus into sentences, as spans of the original text (so evidence stays verbatim)."""

from __future__ import annotations

import re

from lift_memory.qa.text_match import word_set

# Words that end with a period without ending the sentence ("Dr. Berg", "St. Ives").
_ABBREVIATIONS = word_set(
    "mr mrs ms dr st jr sr prof capt col gen lt sgt rev hon vs etc no fig vol mt ft approx "
    "inc ltd co corp dept est e.g i.e cf al ca"
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Þ])")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*•]|\d+[.)])\s)")
_WORD_BEFORE_DOT = re.compile(r"([\w.]+)\.$")


def _is_abbreviation(chunk: str) -> bool:
    """True when the period that ends ``chunk`` belongs to an abbreviation or an initial."""
    match = _WORD_BEFORE_DOT.search(chunk)
    if match is None:
        return False
    word = match.group(1)
    # Single capital letters are initials ("J. R. Tolkien").
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each sentence in ``text``, trimmed of surrounding whitespace.

    Paragraph breaks (blank lines, list items) always end a sentence, so headings and bullets do
    not run into the next sentence.
    """
    spans: list[tuple[int, int]] = []
    paragraph_start = 0
    breaks = [m.start() for m in _PARAGRAPH_BREAK.finditer(text)] + [len(text)]
    for paragraph_end in breaks:
        start = paragraph_start
        for match in _BOUNDARY.finditer(text, paragraph_start, paragraph_end):
            if match.group().startswith(".") and _is_abbreviation(text[start : match.start() + 1]):
                continue
            spans.append((start, match.end()))
            start = match.end()
        spans.append((start, paragraph_end))
        paragraph_start = paragraph_end
    trimmed: list[tuple[int, int]] = []
    for start, end in spans:
        piece = text[start:end]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            trimmed.append((start + left, start + right))
    return trimmed


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, each a verbatim substring of it."""
    return [text[start:end] for start, end in sentence_spans(text)]
