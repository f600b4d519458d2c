"""Find answerable spans in a sentence: dates, times, years, amounts, names and quoted terms.

These are the facts a cloze/wh question can ask about without a model. Each span records its
kind (which decides the wh-word) and, for names, whether it looks like a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lift_memory.qa.text_match import word_set

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|Sept"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE_PATTERNS = [
    rf"\b(?:{_MONTHS})\s+{_DAY},?\s+\d{{4}}\b",  # March 3, 1901
    rf"\b{_DAY}\s+(?:of\s+)?(?:{_MONTHS}),?\s+\d{{4}}\b",  # 3 March 1901
    rf"\b(?:{_MONTHS})\s+\d{{4}}\b",  # March 1901
    rf"\b{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\b",  # 3 March
    rf"\b(?:{_MONTHS})\s+{_DAY}\b",  # March 3
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
]
_DATE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS))
_TIME = re.compile(
    r"\b\d{1,2}(?::\d{2})?\s?(?:[ap]\.m\.|[ap]m\b)|\b\d{1,2}:\d{2}\b|\b\d{1,2}\s+o['’]clock\b",
    re.IGNORECASE,
)
_MONEY = re.compile(r"[$£€]\s?\d[\d,]*(?:\.\d+)?(?:\s(?:million|billion|thousand))?\b")
_PERCENT = re.compile(r"(?<![\w.,])\d+(?:\.\d+)?(?:\s?%|\s(?:percent|per\scent)\b)")
_NUMBER = re.compile(r"(?<![\w.,$£€])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w%]|[.,]\d)")
_NUMBER_WORD = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozen)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"\"([^\"\n]{1,60})\"|“([^”\n]{1,60})”")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_WORD_BEFORE_SPACE = re.compile(r"(?<![\w'’\-])([^\W\d_][\w'’\-]*)\s$")
# Person names are Titlecase words ("Anne-Marie", "McAllister"), not "CNRI" or "Python-related".
_PERSON_WORD = re.compile(r"^(?:Mc|Mac|O['’]|D['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)*\.?$")
_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w\-]*)")

# Words after a number that do not make it a count ("in 1847 the", "12 and").
_NOT_A_NOUN = word_set(
    "and or but nor is was were are be been being to in on at by for from with than the a an "
    "that which who whom as so if when while after before until since"
)
# Prepositions whose phrase with a year/date/place can move to the front of a question.
YEAR_PREPOSITIONS = word_set("in by since until till during before after around from")
# Capitalised only because they start a sentence (or are pronouns): never part of a name.
_COMMON_CAPITALISED = word_set(
    "the a an in on at of to for from by with as after before during since until when where what "
    "who whom whose why how which while if then there here this that these those he she it they "
    "we you i his her its their our my your him them us me but and or so yet nor not no yes "
    "every each some many most all both few several one two three four five six seven eight "
    "nine ten later soon once today tomorrow yesterday although though because unlike like "
    "however thus meanwhile also only even still just about over under between among into onto "
    "upon near across through throughout without within along around behind beyond despite "
    "toward towards instead perhaps maybe whether"
)
_EXCLUDED_NAME_WORDS = word_set(
    _MONTHS.replace("|", " ") + " Monday Tuesday Wednesday Thursday Friday Saturday Sunday I"
)
_NAME_PARTICLES = word_set("van von de der den da di du la le del bin ibn al")
TITLES = word_set(
    "Mr Mrs Ms Miss Dr Doctor Professor Prof Captain Capt Sir Lady Lord King Queen Prince "
    "Princess Duke Duchess Count Countess Saint St Father Mother Brother Sister Uncle Aunt "
    "General Colonel Major Lieutenant Sergeant Admiral Judge President Senator Governor Mayor "
    "Reverend Rev Bishop Pope Emperor Empress"
)
# Words that make a capitalised name a place or an organisation rather than a person.
_PLACE_OR_ORG_WORDS = word_set(
    "Island Isle Islands Bay River Sea Ocean Lake Mount Mountain Mountains Hill Hills Valley "
    "Street Road Avenue Lane Square Bridge Harbour Harbor Port Point Cape Coast City Town "
    "Village County State Kingdom Republic Empire Province Region District Forest Park Desert "
    "Fjord Strait Gulf Channel Peninsula Falls Station Airport Castle Palace Tower Lighthouse "
    "Church Cathedral Abbey Temple Museum Library School College University Academy Institute "
    "Hospital Company Corporation Society Association Council Committee Parliament Bank Ltd "
    "Inc Group Club Hotel Inn Hall House Farm Mill Mine North South East West Northern Southern "
    "Eastern Western Great New Old United Royal National International Foundation Software "
    "Property Team Project Agency Department Office Ministry Board Service Services Systems "
    "Technologies Labs Press Times News Party Army Navy Force Union League Federation "
    "Organization Organisation Center Centre Centrum Initiatives Research Studies Network Trust "
    "Fund Court Act Law Treaty War Revolution Battle Day Prize Award Cup Games Festival "
    "Conference Program Programme Definition License Licence Agreement Declaration Constitution "
    "Street Gardens Zoo Theatre Theater Stadium Market Works Industries Railway Line"
)
# Prepositions after which a capitalised name is a place, not a person.
PLACE_PREPOSITIONS = word_set("in at on near off across into through around towards toward onto")


@dataclass(frozen=True)
class AnswerSpan:
    """A fact in a sentence: ``sentence[start:end]`` is the answer, verbatim.

    ``outer_start``/``outer_end`` bound what a question replaces (quotes around a quoted term,
    "'s" after a possessive name, "the" before a named thing).
    """

    start: int
    end: int
    kind: str  # date | time | year | count | number | money | percent | name | quote
    outer_start: int
    outer_end: int
    person: bool = False
    possessive: bool = False

    def text(self, sentence: str) -> str:
        return sentence[self.start : self.end]


def _next_word(sentence: str, end: int) -> str | None:
    match = _NEXT_WORD.match(sentence, end)
    return match.group(1) if match else None


def previous_word(sentence: str, start: int) -> str | None:
    """The word right before ``start`` when only one space separates them, else None."""
    match = _WORD_BEFORE_SPACE.search(sentence, 0, start)
    return match.group(1) if match else None


def _is_count_noun(word: str | None) -> bool:
    return word is not None and word.islower() and word not in _NOT_A_NOUN


def _overlaps(start: int, end: int, taken: Iterable[tuple[int, int]]) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def numeric_spans(sentence: str) -> list[AnswerSpan]:
    """Dates, times, money, percentages, years and counts; earlier kinds win overlaps."""
    spans: list[AnswerSpan] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, kind: str) -> None:
        if not _overlaps(start, end, taken):
            spans.append(AnswerSpan(start, end, kind, start, end))
            taken.append((start, end))

    for kind, pattern in (("date", _DATE), ("time", _TIME), ("money", _MONEY)):
        for match in pattern.finditer(sentence):
            add(match.start(), match.end(), kind)
    for match in _PERCENT.finditer(sentence):
        add(match.start(), match.end(), "percent")
    for match in _NUMBER.finditer(sentence):
        value = match.group()
        if sentence[match.start() - 1 : match.start()] == "(" and sentence.startswith(
            ")", match.end()
        ):
            continue  # "(1)" is a list marker or footnote, not a fact
        following = _next_word(sentence, match.end())
        previous = (previous_word(sentence, match.start()) or "").lower()
        looks_like_year = len(value) == 4 and value.isdigit() and 1000 <= int(value) <= 2099
        # "in 1847" is a year; "2000 sheep" is a count.
        if looks_like_year and (previous in YEAR_PREPOSITIONS or not _is_count_noun(following)):
            add(match.start(), match.end(), "year")
            continue
        add(match.start(), match.end(), "count" if _is_count_noun(following) else "number")
    for match in _NUMBER_WORD.finditer(sentence):
        # Spelled-out numbers only count when they quantify a noun ("three keepers").
        if _is_count_noun(_next_word(sentence, match.end())):
            add(match.start(), match.end(), "count")
    return sorted(spans, key=lambda span: span.start)


def quoted_spans(sentence: str) -> list[AnswerSpan]:
    """Short quoted terms ("the boat was named "Gull""), not quoted speech."""
    spans = []
    for match in _QUOTED.finditer(sentence):
        group = 1 if match.group(1) is not None else 2
        inner = match.group(group)
        stripped = inner.strip()
        # Speech ends in punctuation and runs long; a term is a few words.
        if not stripped or stripped[-1] in ",.!?;:" or len(stripped.split()) > 6:
            continue
        start = match.start(group) + (len(inner) - len(inner.lstrip()))
        spans.append(AnswerSpan(start, start + len(stripped), "quote", match.start(), match.end()))
    return spans


def _is_space(gap: str) -> bool:
    # One space, or one line break in hard-wrapped text, joins the words of a name.
    return gap in {" ", "\n", " \n", "\n "}


def _is_capitalised(word: str) -> bool:
    return word[0].isupper() and word not in _EXCLUDED_NAME_WORDS


def name_runs(sentence: str) -> list[tuple[int, int, list[str]]]:
    """Runs of capitalised words joined by single spaces (and name particles like "van").

    Returns ``(start, end, words)``; leading sentence-initial common words ("The", "In") are
    dropped, possessive "'s" is excluded from the run. No corpus knowledge is used here.
    """
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(sentence)]
    runs: list[tuple[int, int, list[str]]] = []
    i = 0
    while i < len(words):
        if not _is_capitalised(words[i][2]):
            i += 1
            continue
        run = [words[i]]
        j = i + 1
        while j < len(words):
            gap = sentence[run[-1][1] : words[j][0]]
            titled = _is_space(gap[1:]) and gap[:1] == "." and run[-1][2] in TITLES  # "Dr. Vell"
            if not (_is_space(gap) or titled) or run[-1][2].endswith(("'s", "’s")):
                break
            if _is_capitalised(words[j][2]):
                run.append(words[j])
                j += 1
            elif (
                words[j][2] in _NAME_PARTICLES
                and j + 1 < len(words)
                and _is_space(sentence[words[j][1] : words[j + 1][0]])
                and _is_capitalised(words[j + 1][2])
            ):
                run.extend([words[j], words[j + 1]])
                j += 2
            else:
                break
        i = j
        initial = sentence[: run[0][0]].strip("\"'“‘([ ") == ""
        if initial:
            while run and run[0][2].lower() in _COMMON_CAPITALISED:
                run.pop(0)
        if not run:
            continue
        start, end = run[0][0], run[-1][1]
        last = run[-1][2]
        if last.endswith(("'s", "’s")):
            end -= 2
        runs.append((start, end, [w[2].removesuffix("'s").removesuffix("’s") for w in run]))
    return runs


def is_sentence_initial(sentence: str, start: int) -> bool:
    """True when only opening quotes/brackets (or nothing) precede ``start``."""
    return sentence[:start].strip("\"'“‘([ ") == ""


def looks_like_person(words: list[str], preceded_by: str | None) -> bool:
    """Heuristic: titled names, or two/three plain capitalised words not after a place preposition."""
    if words[0].rstrip(".") in TITLES:
        return True
    names = [word for word in words if word not in _NAME_PARTICLES]
    if any(word in _PLACE_OR_ORG_WORDS or not _PERSON_WORD.match(word) for word in names):
        return False
    if preceded_by is not None and preceded_by.lower() in PLACE_PREPOSITIONS | {"the"}:
        return False
    return 2 <= len(names) <= 3


def name_spans(
    sentence: str,
    known_names: frozenset[str],
    person_words: frozenset[str],
) -> list[AnswerSpan]:
    """Name spans. ``known_names``: words seen capitalised mid-sentence somewhere in the corpus,
    so a lone sentence-initial word ("Lighthouses ...") is only a name if seen elsewhere.
    ``person_words``: words of person-like names, so "Edda" alone is a person after "Edda Mirel".
    """
    spans = []
    for start, end, words in name_runs(sentence):
        initial = is_sentence_initial(sentence, start)
        if len(words) == 1 and initial and words[0] not in known_names:
            continue
        previous = previous_word(sentence, start)
        person = looks_like_person(words, previous) or (
            len(words) == 1
            and words[0] in person_words
            and (previous or "").lower() not in PLACE_PREPOSITIONS
        )
        possessive = sentence.startswith(("'s", "’s"), end)
        outer_start = start
        if not person and previous is not None and previous.lower() == "the":
            outer_start = start - len("the ")  # "the Northern Light" -> "what"
        outer_end = end + 2 if possessive else end
        spans.append(AnswerSpan(start, end, "name", outer_start, outer_end, person, possessive))
    return spans


def answer_spans(
    sentence: str,
    known_names: frozenset[str] = frozenset(),
    person_words: frozenset[str] = frozenset(),
) -> list[AnswerSpan]:
    """All answerable spans of ``sentence``, non-overlapping, in reading order."""
    spans = numeric_spans(sentence)
    taken = [(s.outer_start, s.outer_end) for s in spans]
    for span in quoted_spans(sentence) + name_spans(sentence, known_names, person_words):
        if not _overlaps(span.outer_start, span.outer_end, taken):
            spans.append(span)
            taken.append((span.outer_start, span.outer_end))
    return sorted(spans, key=lambda span: span.start)
