"""The generic prompts retention keeps the base model's answers to (``retention.py``).

``GENERIC_PROMPTS`` are the first 32, everyday questions and requests. ``FRAMED_PROMPTS`` come
after them, in the shapes a memory's training questions take.

A memory trained on a corpus's facts learns question frames ("Who built …?", "How many … ?",
"In what year …?") together with the corpus's names and numbers, and then answers general
questions of the same frames with them ("A cat has 4828896."; docs/benchmarks.md, "Session of
2026-12-05 (eleventh)"). Retention keeps the base model's answers to these questions as targets
(``LiftConfig.retention_samples`` counts them after ``GENERIC_PROMPTS``): many frames,
many everyday facts, quantities and arithmetic, so the memory learns where its corpus ends.

Written for this project. None of them asks one of the bench's generic questions or retention
probes (``lift_memory_bench.generic``, ``retention_probes``), nor about the same thing in other
words: those measure retention and must stay unseen. They share frames with them ("What is the
capital of _?"), as the first 32 do; the bench's probes are new frames only against the first
32 (``TRAINED_OR_CALIBRATED``), so a memory trained on more than 32 reads those probes as
partly seen.
"""

from __future__ import annotations

GENERIC_PROMPTS: tuple[str, ...] = (
    "What is the largest planet in the solar system?",
    "Who wrote Romeo and Juliet?",
    "What is the boiling point of water at sea level?",
    "How many days are in a week?",
    "What colour is the sky on a clear day?",
    "What is 7 times 8?",
    "Name a mammal that lives in the ocean.",
    "What language is spoken in Spain?",
    "What is the chemical symbol for gold?",
    "What do bees make?",
    "What is the opposite of hot?",
    "How many legs does a spider have?",
    "What is the capital of Japan?",
    "Who painted the Mona Lisa?",
    "What gas do plants absorb from the air?",
    "Translate 'thank you' into French.",
    "Write a one-sentence greeting for a friend.",
    "What is the square root of 81?",
    "Which ocean lies between Europe and North America?",
    "What is the freezing point of water in Celsius?",
    "Give me a synonym for happy.",
    "What is the tallest mountain on Earth?",
    "How many continents are there?",
    "What is the main ingredient of guacamole?",
    "Who was the first person to walk on the Moon?",
    "What is the currency of the United Kingdom?",
    "Explain in one sentence what a computer does.",
    "What do you call a baby cat?",
    "What is the longest river in Africa?",
    "How many hours are in a day?",
    "What instrument has 88 keys?",
    "What is the primary colour that mixes with blue to make green?",
)

FRAMED_PROMPTS: tuple[str, ...] = (
    # who made, wrote, found or led something
    "Who painted The Starry Night?",
    "Who invented the telephone?",
    "Who wrote the Odyssey?",
    "Who built the first successful airplane?",
    "Who wrote Don Quixote?",
    "Who sculpted the statue of David in Florence?",
    "Who wrote the fairy tale The Little Mermaid?",
    "Who discovered gravity when an apple fell?",
    "Who invented the light bulb?",
    "Who was the first woman to win a Nobel Prize?",
    "Who painted the ceiling of the Sistine Chapel?",
    "Who wrote A Christmas Carol?",
    # how many, how much, how long
    "How many wheels does a bicycle have?",
    "How many players are on a football team on the field?",
    "How many months have thirty days?",
    "How many eggs are in a dozen?",
    "How many planets are in the solar system?",
    "How many colours are in a rainbow?",
    "How many letters are in the English alphabet?",
    "How many weeks are in a year?",
    "How many bones are in the adult human body?",
    "How many years are in a century?",
    "How many centimetres are in a metre?",
    "How many grams are in a kilogram?",
    "How many squares are on a chess board?",
    "How many notes are in a musical octave?",
    "How many zeros are in one million?",
    "How long does the Earth take to orbit the Sun?",
    "How long is a marathon?",
    # when, in what year
    "In what year did Columbus first reach the Americas?",
    "What day comes after Friday?",
    "In what year did the first iPhone come out?",
    "When did the French Revolution begin?",
    # where
    "Where is the Louvre museum?",
    "In which country is the city of Kyoto?",
    "In which ocean is Madagascar?",
    "Where does the River Thames flow?",
    # capitals and places
    "What is the capital of Spain?",
    "What is the capital of Australia?",
    "What is the capital of Egypt?",
    "What is the capital of Russia?",
    "What is the capital of Kenya?",
    "What is the capital of Portugal?",
    "What is the capital of Norway?",
    "What is the capital of Argentina?",
    "What is the capital of India?",
    "What is the largest country by area?",
    "What is the smallest continent?",
    "What is the longest river in South America?",
    "What is the highest waterfall in the world?",
    "What is the deepest lake in the world?",
    # what is, which
    "What is the fastest land animal?",
    "What is the tallest animal?",
    "Which planet has the most famous rings?",
    "What is the largest organ of the human body?",
    "What gas do humans breathe out?",
    "What is the currency of Japan?",
    "Which metal is liquid at room temperature?",
    "What is the national animal of Scotland?",
    "What do caterpillars turn into?",
    "What do cows drink?",
    "What is the largest bone in the human body?",
    "What is the main ingredient of bread?",
    "What colour do you get by mixing red and white?",
    "What is the name of our galaxy?",
    "What is a group of wolves called?",
    "What is a young dog called?",
    "What is the plural of mouse?",
    "What is photosynthesis?",
    "What is a synonym for big?",
    "What is an antonym of brave?",
    # arithmetic and numbers
    "What is 12 plus 15?",
    "What is 100 minus 37?",
    "What is 144 divided by 12?",
    "What is half of 50?",
    "What is 3 squared?",
    "What is the next number after 99?",
    "Is 17 a prime number?",
    "What is 5 plus 5 plus 5?",
    "What is 1000 divided by 10?",
    "What is 4 times 9?",
    "Count from one to five.",
    "What year comes after 1999?",
    # yes/no and explanations
    "Do fish breathe with gills?",
    "Is Antarctica covered in ice?",
    "Why is the sky blue?",
    "Why do leaves change colour in autumn?",
    "Why do we have seasons?",
    "How do birds fly?",
    "How does a rainbow form?",
    "What causes thunder?",
    # everyday requests
    "Suggest a healthy breakfast.",
    "Name three primary colours.",
    "Name a famous scientist.",
    "Name a country in Africa.",
    "List three fruits.",
    "Describe a sunset in one sentence.",
    "Say hello in Spanish.",
    "What is a good name for a cat?",
    "How do you make a cup of tea?",
)

RETENTION_PROMPTS: tuple[str, ...] = GENERIC_PROMPTS + FRAMED_PROMPTS
