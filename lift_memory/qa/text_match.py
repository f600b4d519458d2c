"""Verbatim-evidence matching: is a quoted passage really in the corpus, up to whitespace?"""

from __future__ import annotations

# Quote marks an LLM tends to wrap around a quoted passage; they are not part of the evidence.
_QUOTE_CHARS = "\"'`“”‘’«»„"


def normalize_whitespace(text: str) -> str:
    """Collapse every run of whitespace (newlines included) into one space and trim the ends."""
    return " ".join(text.split())


def clean_evidence(evidence: str) -> str:
    """Whitespace-normalise and strip surrounding quotes/markdown, which models add around quotes."""
    previous = None
    cleaned = normalize_whitespace(evidence)
    # Loop because quotes and spaces can nest: ' " foo " ' -> 'foo'.
    while cleaned != previous:
        previous = cleaned
        cleaned = cleaned.strip().strip(_QUOTE_CHARS).strip("*_").strip()
    return cleaned


class NormalizedText:
    """A corpus indexed once so that many evidence strings can be located in it cheaply.

    Keeps, for each character of the whitespace-normalised text, its index in the original text,
    so a match in normalised space maps back to the verbatim original passage.
    """

    def __init__(self, text: str) -> None:
        self.original = text
        chars: list[str] = []
        positions: list[int] = []
        pending_space = False
        for index, char in enumerate(text):
            if char.isspace():
                pending_space = bool(chars)  # never a leading space
                continue
            if pending_space:
                chars.append(" ")
                positions.append(index - 1)
                pending_space = False
            chars.append(char)
            positions.append(index)
        self.normalized = "".join(chars)
        self._positions = positions

    def locate(self, evidence: str) -> str | None:
        """Return the verbatim passage of the original text matching ``evidence``, or None."""
        needle = clean_evidence(evidence)
        if not needle or not any(char.isalnum() for char in needle):
            return None
        start = self.normalized.find(needle)
        if start < 0:
            return None
        # The needle neither starts nor ends with a space, so both ends map to real characters.
        first = self._positions[start]
        last = self._positions[start + len(needle) - 1]
        return self.original[first : last + 1]


def evidence_in_text(evidence: str, text: str) -> bool:
    """True when ``evidence`` (quotes stripped) occurs in ``text``, comparing whitespace-normalised."""
    needle = clean_evidence(evidence)
    if not needle or not any(char.isalnum() for char in needle):
        return False
    return needle in normalize_whitespace(text)


def word_set(words: str) -> frozenset[str]:
    """A frozenset from a space-separated word list (long lists read better as one string)."""
    return frozenset(words.split())
