"""Retention samples: the base model's own answers to generic prompts, kept as targets.

Trained with the memory attached, they teach the gate to stay closed for queries that have
nothing to do with the corpus, so general behaviour survives the ingest. On a 135M model the
paper's gate alone lets the memory leak into unrelated answers.

The prompts are short chat turns; ``GENERIC_PASSAGES`` add plain prose on everyday topics, so
that (with KL retention) the memory also learns to leave ordinary text alone, not just Q&A.
"""

from __future__ import annotations

from lift_memory.batched_generation import greedy_replies
from lift_memory.generic_prompts import GENERIC_PROMPTS, RETENTION_PROMPTS
from lift_memory.models import LoadedModel
from lift_memory.prompts import TrainingSample, chat_sample, question_prompt

__all__ = [
    "GENERIC_PASSAGES",
    "GENERIC_PROMPTS",
    "RETENTION_PROMPTS",
    "RetentionPairs",
    "base_answers",
    "record_retention_answers",
    "retention_samples",
]


# Plain prose far from any corpus a user is likely to ingest (written for this project).
GENERIC_PASSAGES: tuple[str, ...] = (
    "Rain forms when water vapour in rising air cools and condenses on tiny particles of dust "
    "or salt. The droplets collide and grow until they are too heavy for the updraft to hold, "
    "and then they fall. In cold clouds, ice crystals grow at the expense of droplets and melt "
    "on the way down, so much of the rain in temperate places begins as snow high above.",
    "A chess game starts with sixteen pieces for each player. Pawns move forward one square at "
    "a time, bishops along diagonals, rooks along ranks and files, and the knight jumps in an "
    "L shape. The aim is to checkmate the opposing king, which means attacking it in a way that "
    "cannot be escaped. Beginners are often told to control the centre and develop early.",
    "Tides are caused mainly by the gravity of the Moon, with a smaller pull from the Sun. Most "
    "coasts see two high tides and two low tides a day. When the Sun and Moon line up, at new "
    "and full moon, the tides are larger; these are called spring tides, although they have "
    "nothing to do with the season.",
    "To repair a flat bicycle tyre, remove the wheel, lever one side of the tyre off the rim and "
    "pull out the inner tube. Pump a little air into the tube and listen or feel for the leak. "
    "Roughen the area, apply glue, wait until it is tacky, and press a patch firmly in place. "
    "Check the inside of the tyre for the thorn or glass that caused the puncture.",
    "Honey bees live in colonies with one queen, thousands of female workers and, in summer, "
    "some males called drones. Workers collect nectar and pollen, build wax comb, and care for "
    "the young. A forager that finds good flowers performs a waggle dance in the hive, and the "
    "angle and length of the dance tell her sisters the direction and distance to fly.",
    "Trains were first pulled by steam locomotives, which burned coal to boil water in a long "
    "boiler. The steam pushed pistons that turned the wheels. Diesel engines replaced steam on "
    "many lines in the twentieth century, and today electric trains take their power from "
    "overhead wires or a third rail, which makes them quiet and efficient.",
    "Photosynthesis lets plants turn light into chemical energy. In the leaves, chlorophyll "
    "absorbs mostly red and blue light, which is why leaves look green. The plant combines "
    "carbon dioxide from the air with water from the soil to make sugar, and releases oxygen "
    "as a by-product. The sugar feeds growth and is stored as starch.",
    "A good cup of tea depends on fresh water, the right temperature and patience. Black tea "
    "is usually brewed with water just off the boil for three to five minutes, while green tea "
    "prefers cooler water and a shorter steep, or it turns bitter. Milk, lemon or sugar are "
    "matters of taste, and every country seems to have its own customs.",
    # Other genres than expository prose (conversation, verse, code, instructions, a letter,
    # a news brief), so that the memory leaves their style alone too.
    "ANNA: Did you remember to water the plants while I was away?\n"
    "LEO: Every other day, like you said. The fern looks happier than ever.\n"
    "ANNA: And the basil?\n"
    "LEO: Ah. The basil and I need to talk about that.\n"
    "ANNA: Leo!\n"
    "LEO: It was already drooping on Monday. I think it missed you.",
    "The river takes the evening light\n"
    "and carries it beneath the bridge;\n"
    "a heron waits, as still as night,\n"
    "along the reed bed's muddy ridge.\n"
    "The swallows stitch the air for flies,\n"
    "the church clock counts the hour twice,\n"
    "and somewhere, under darker skies,\n"
    "the first stars settle, sharp as ice.",
    "def word_counts(lines):\n"
    '    """Count how often each word appears, ignoring case."""\n'
    "    counts = {}\n"
    "    for line in lines:\n"
    "        for word in line.lower().split():\n"
    "            counts[word] = counts.get(word, 0) + 1\n"
    "    return counts\n",
    "How to repot a houseplant: 1. Water the plant the day before. 2. Choose a pot one size "
    "larger, with a drainage hole. 3. Tip the plant out gently, supporting the stem between "
    "your fingers. 4. Loosen the roots and trim any that are black or soft. 5. Set it in fresh "
    "compost at the same depth as before, firm the soil lightly and water well.",
    "Dear Ms Patel,\nThank you for your letter of 3 May about the broken streetlight outside "
    "number 14. An engineer visited on Friday and found a faulty cable, which has now been "
    "replaced. Please let us know if the light fails again.\nYours sincerely,\nJ. Okafor, "
    "Highways Team",
    "Library extends weekend opening hours. The central library will open on Sundays from "
    "next month, from ten in the morning until four in the afternoon, after a pilot scheme "
    "last winter drew more visitors than expected. Staff said the reading room and the "
    "children's corner were busiest, and that the café would open at the same times.",
)


def base_answers(
    loaded: LoadedModel, prompts: list[str], max_new_tokens: int = 40, batch_size: int = 32
) -> list[tuple[str, str]]:
    """Greedy answers of the model as it is now (call before attaching, or with it disabled),
    generated in batches: the same text as one prompt at a time (``batched_generation.py``)."""
    replies = greedy_replies(
        loaded,
        [question_prompt(prompt) for prompt in prompts],
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
    )
    return [(prompt, reply) for prompt, reply in zip(prompts, replies, strict=True) if reply]


RetentionPairs = list[tuple[str, str]]


def record_retention_answers(loaded: LoadedModel, count: int) -> RetentionPairs:
    """The base model's answers to the first ``count`` generic prompts (``GENERIC_PROMPTS``, then
    ``FRAMED_PROMPTS``): the retention targets
    of every memory on this base model (they depend on nothing else, so they can be shared)."""
    return base_answers(loaded, list(RETENTION_PROMPTS[:count]), max_new_tokens=24)


def retention_samples(
    loaded: LoadedModel, pairs: list[tuple[str, str]], passages: int = 0
) -> list[TrainingSample]:
    """Chat samples of the recorded answers, plus the first ``passages`` generic prose passages
    as plain text (every token a target: with KL retention, the base model's distribution)."""
    samples = [
        chat_sample(loaded.tokenizer, question_prompt(prompt), reply, kind="retention")
        for prompt, reply in pairs
        if prompt
    ]
    # a pair without a prompt is plain text the base model wrote itself (self_prompts.py)
    written = [reply for prompt, reply in pairs if not prompt]
    for passage in [*written, *GENERIC_PASSAGES[:passages]]:
        ids = loaded.tokenizer(passage, add_special_tokens=False)["input_ids"]
        samples.append(TrainingSample(input_ids=ids, labels=list(ids), kind="retention"))
    return samples
