"""General-capability retention: questions that have nothing to do with the corpus.

A method that internalizes a corpus should not forget what the base model knew. Two probes:
answers to generic questions (scored against gold answers, and against the base model's own
closed-book answers as a reference), and the perplexity of unrelated texts of several genres
with and without the memory attached (``perplexity_damage.py``).

``GENERIC_PROBES`` are what the bench asks: 110 everyday questions, none sharing a template
with the prompts ingest trains on (``lift_memory.retention.GENERIC_PROMPTS``) or with the routing
calibration's requests (``retention_probes.shares_template``; a test checks): a probe of a
template the memory was taught to leave alone would flatter it. The routing benchmark asks them
too, as half of its out-of-scope probes.

``GENERIC_QUESTIONS`` are the 16 the bench asked before 2026-12-05, kept to compare with older
reports: 13 of them share a template with the trained prompts, and on eight memories their
score said nothing about the 110 probes' (docs/benchmarks.md, "fourteenth" session).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GenericQuestion:
    question: str
    answers: tuple[str, ...]


GENERIC_QUESTIONS: tuple[GenericQuestion, ...] = (
    GenericQuestion("What is the capital of France?", ("Paris",)),
    GenericQuestion("How many legs does a cat have?", ("four", "4")),
    GenericQuestion("What colour is fresh grass?", ("green",)),
    GenericQuestion("What is two plus two?", ("four", "4")),
    GenericQuestion("Which planet is known as the Red Planet?", ("Mars",)),
    GenericQuestion("What is the largest ocean on Earth?", ("Pacific",)),
    GenericQuestion("Who wrote the play Hamlet?", ("Shakespeare",)),
    GenericQuestion("What is the capital of Italy?", ("Rome",)),
    GenericQuestion("How many minutes are in an hour?", ("sixty", "60")),
    GenericQuestion("What is frozen water called?", ("ice",)),
    GenericQuestion("Which star is at the centre of our solar system?", ("Sun",)),
    GenericQuestion("What is the capital of Germany?", ("Berlin",)),
    GenericQuestion("How many sides does a triangle have?", ("three", "3")),
    GenericQuestion("What animal is often called the king of the jungle?", ("lion",)),
    GenericQuestion("What is the opposite of up?", ("down",)),
    GenericQuestion("Which season comes after winter?", ("spring",)),
)


GENERIC_PROBES: tuple[GenericQuestion, ...] = (
    GenericQuestion("Which planet is known as the Red Planet?", ("Mars",)),
    GenericQuestion("In which country are the pyramids of Giza?", ("Egypt",)),
    GenericQuestion("In which city is the Eiffel Tower?", ("Paris",)),
    GenericQuestion("In what year did the Second World War end?", ("1945",)),
    GenericQuestion("In what year did Apollo 11 reach the Moon?", ("1969",)),
    GenericQuestion("Who is the author of Pride and Prejudice?", ("Jane Austen", "Austen")),
    GenericQuestion(
        "Who composed the Fifth Symphony that opens with four famous notes?", ("Beethoven",)
    ),
    GenericQuestion("Who discovered penicillin?", ("Alexander Fleming", "Fleming")),
    GenericQuestion("Who proposed the theory of relativity?", ("Albert Einstein", "Einstein")),
    GenericQuestion(
        "Name the first president of the United States.", ("George Washington", "Washington")
    ),
    GenericQuestion("Which animal is known as the ship of the desert?", ("camel",)),
    GenericQuestion(
        "Nitrogen, oxygen or argon: which is most common in the atmosphere?", ("nitrogen",)
    ),
    GenericQuestion("Which organ pumps blood through the body?", ("heart",)),
    GenericQuestion("Mercury, Venus or Mars: which orbits closest to the Sun?", ("Mercury",)),
    GenericQuestion("Which continent is the Sahara desert on?", ("Africa",)),
    GenericQuestion("Which country has the largest population in South America?", ("Brazil",)),
    GenericQuestion("Which language has the most native speakers?", ("Mandarin", "Chinese")),
    GenericQuestion("Which vitamin does the skin make in sunlight?", ("vitamin D", "D")),
    GenericQuestion("Which bird is a symbol of peace?", ("dove",)),
    GenericQuestion("O is the symbol of which element?", ("oxygen",)),
    GenericQuestion("Which city hosted the 2012 Summer Olympics?", ("London",)),
    GenericQuestion("Which sport uses a shuttlecock?", ("badminton",)),
    GenericQuestion("Which month has the fewest days?", ("February",)),
    GenericQuestion("Which shape has eight sides?", ("octagon",)),
    GenericQuestion("Where is the deepest point of the ocean?", ("Mariana Trench", "Mariana")),
    GenericQuestion("A magnet attracts which common metal?", ("iron",)),
    GenericQuestion(
        "Which country gifted the Statue of Liberty to the United States?", ("France",)
    ),
    GenericQuestion("Which blood cells fight infection?", ("white blood cells", "white")),
    GenericQuestion("Which famous ship sank in 1912 after hitting an iceberg?", ("Titanic",)),
    GenericQuestion("Which instrument did Jimi Hendrix famously play?", ("guitar",)),
    GenericQuestion("Is a tomato botanically a fruit or a vegetable?", ("fruit",)),
    GenericQuestion("Is the Sun a star or a planet?", ("star",)),
    GenericQuestion("Is a whale a fish or a mammal?", ("mammal",)),
    GenericQuestion("Does sound travel faster through water or through steel?", ("steel",)),
    GenericQuestion("Is Mount Kilimanjaro in Africa or in Asia?", ("Africa",)),
    GenericQuestion("True or false: bats are blind.", ("false",)),
    GenericQuestion("True or false: lightning never strikes the same place twice.", ("false",)),
    GenericQuestion("True or false: an octopus has three hearts.", ("true",)),
    GenericQuestion("Spell the word necessary backwards.", ("yrassecen",)),
    GenericQuestion("Add twelve and nineteen.", ("31", "thirty-one")),
    GenericQuestion("Multiply six by nine.", ("54", "fifty-four")),
    GenericQuestion("Divide one hundred by four.", ("25", "twenty-five")),
    GenericQuestion("Subtract seventeen from fifty.", ("33", "thirty-three")),
    GenericQuestion("Count the vowels in the word banana.", ("3", "three")),
    GenericQuestion("List three states in which matter can exist.", ("solid",)),
    GenericQuestion("Name the largest desert in the world.", ("Antarctica", "Antarctic")),
    GenericQuestion("Name the author of the Harry Potter books.", ("J. K. Rowling", "Rowling")),
    GenericQuestion("Name the hardest natural substance.", ("diamond",)),
    GenericQuestion("Name the closest star to Earth.", ("Sun",)),
    GenericQuestion("Name the process by which water turns into vapour.", ("evaporation",)),
    GenericQuestion(
        "Roughly how far is the Moon from Earth in kilometres?", ("384,400", "384000", "384")
    ),
    GenericQuestion("Roughly how old is the universe?", ("13.8 billion", "13.8", "14 billion")),
    GenericQuestion(
        "Roughly how long does light from the Sun take to reach Earth?",
        ("8 minutes", "eight minutes", "8"),
    ),
    GenericQuestion("An adult has how many teeth, usually?", ("32", "thirty-two")),
    GenericQuestion("About how many strings does a standard guitar have?", ("6", "six")),
    GenericQuestion("Do penguins live at the North Pole?", ("no",)),
    GenericQuestion("Do snakes have legs?", ("no",)),
    GenericQuestion("Does ice float on water?", ("yes",)),
    GenericQuestion("Does a triangle have four corners?", ("no",)),
    GenericQuestion("Can humans breathe underwater without equipment?", ("no",)),
    GenericQuestion("Could you drive a car from Europe to Australia?", ("no",)),
    GenericQuestion("Finish the proverb: an apple a day keeps...", ("the doctor away", "doctor")),
    GenericQuestion("Finish the sentence: the early bird catches the...", ("worm",)),
    GenericQuestion(
        "Complete the phrase: to be or not to be...", ("that is the question", "question")
    ),
    GenericQuestion("Define the word ancient.", ("old",)),
    GenericQuestion("Define a noun in grammar.", ("person", "place", "thing")),
    GenericQuestion("Describe what a thermometer measures.", ("temperature",)),
    GenericQuestion("Is the Earth flat or round?", ("round", "sphere", "spherical")),
    GenericQuestion("Explain what a volcano is.", ("mountain", "lava", "magma")),
    GenericQuestion("Explain why we have day and night.", ("rotat", "spin", "turn")),
    GenericQuestion("Pick a colour that goes well with navy blue.", ("white",)),
    GenericQuestion("Oranges are rich in which vitamin?", ("C", "vitamin C")),
    GenericQuestion("Pick a word that rhymes with cat.", ("hat", "bat", "mat", "rat", "sat")),
    GenericQuestion("Choose the odd one out: apple, banana, carrot, grape.", ("carrot",)),
    GenericQuestion("Sort these numbers from smallest to largest: 9, 2, 5.", ("2, 5, 9", "2 5 9")),
    GenericQuestion("Where do kangaroos live in the wild?", ("Australia",)),
    GenericQuestion("Where is the Great Barrier Reef?", ("Australia",)),
    GenericQuestion("Where would you find the Taj Mahal?", ("India", "Agra")),
    GenericQuestion("Where does a koala sleep?", ("tree",)),
    GenericQuestion("When is Christmas Day celebrated?", ("December 25", "25 December", "25th")),
    GenericQuestion("When did the Berlin Wall fall?", ("1989",)),
    GenericQuestion("When does a leap year happen?", ("every four years", "four")),
    GenericQuestion(
        "Whose face is on the American one-dollar bill?", ("George Washington", "Washington")
    ),
    GenericQuestion(
        "Whose theory describes evolution by natural selection?", ("Charles Darwin", "Darwin")
    ),
    GenericQuestion("Why does a compass needle point north?", ("magnetic",)),
    GenericQuestion("What is sunscreen for?", ("sun", "burn", "ultraviolet", "UV")),
    GenericQuestion(
        "Which is heavier, a kilogram of feathers or a kilogram of iron?",
        ("same", "neither", "equal"),
    ),
    GenericQuestion("Which is larger, an elephant or a mouse?", ("elephant",)),
    GenericQuestion("Which is colder, the Arctic or the Sahara?", ("Arctic",)),
    GenericQuestion("Which comes first in the alphabet, M or K?", ("K",)),
    GenericQuestion("What city is the capital of Canada?", ("Ottawa",)),
    GenericQuestion("Brazilians mostly speak which language?", ("Portuguese",)),
    GenericQuestion("Water has what chemical formula?", ("H2O",)),
    GenericQuestion("A ripe banana is usually what colour?", ("yellow",)),
    GenericQuestion("Guess my favourite season if I love snow.", ("winter",)),
    GenericQuestion("Imagine you are a cat and say hello.", ("meow",)),
    GenericQuestion("The Spanish word gato means which animal?", ("cat",)),
    GenericQuestion("What does the French word merci mean in English?", ("thank you", "thanks")),
    GenericQuestion("Rewrite this sentence in the past tense: I walk home.", ("walked",)),
    GenericQuestion("Correct the spelling: recieve.", ("receive",)),
    GenericQuestion("Give the past tense of the verb run.", ("ran",)),
    GenericQuestion("Ancient and modern: are they synonyms or antonyms?", ("antonyms",)),
    GenericQuestion("Rounded to two decimal places, what is 3.14159?", ("3.14",)),
    GenericQuestion("How many degrees Fahrenheit is 100 degrees Celsius?", ("212",)),
    GenericQuestion("Calculate 15 percent of 200.", ("30", "thirty")),
    GenericQuestion("Estimate how many seconds are in an hour.", ("3600", "3,600")),
    GenericQuestion("Compare the sizes of Jupiter and Earth.", ("Jupiter",)),
    GenericQuestion("Identify the mammal in this list: shark, dolphin, trout.", ("dolphin",)),
    GenericQuestion("State the first law of thermodynamics in a sentence.", ("energy",)),
    GenericQuestion(
        "How does Shakespeare's play about two young lovers in Verona end?",
        ("die", "death", "dead", "tragic"),
    ),
)
