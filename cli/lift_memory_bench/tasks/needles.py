"""RULER-style needle-in-a-haystack tasks (Hsieh et al., 2024), in one shared haystack.

The haystack is RULER's "noise" filler repeated; needles read
"The special magic number for KEY is N." with a seven-digit N.

- ``needle-single``: needles with unrelated keys, spread evenly through the haystack;
- ``needle-multikey``: groups of ``group_size`` adjacent needles whose keys differ in one word
  ("amber-heron", "silent-heron" …); one key of each group is asked, the others are the
  hard distractors (and the wrong multiple-choice options).
"""

from __future__ import annotations

import random

from lift_memory_bench.tasks.question import BenchQuestion, TokenCounter, make_question

FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
_ADJECTIVES = [
    "amber",
    "silent",
    "rapid",
    "hollow",
    "crimson",
    "gentle",
    "frozen",
    "golden",
    "hidden",
    "lucky",
    "quiet",
    "restless",
    "scarlet",
    "velvet",
    "wild",
    "ancient",
    "bright",
    "curious",
    "distant",
    "eager",
]
_NOUNS = [
    "heron",
    "otter",
    "falcon",
    "badger",
    "lantern",
    "harbor",
    "meadow",
    "comet",
    "walrus",
    "orchid",
    "cedar",
    "beacon",
    "quartz",
    "tundra",
    "ember",
    "glacier",
    "marten",
    "willow",
    "raven",
    "summit",
]
# Keys for profiles with more than 20 needle questions. Drawn only then, so the haystack of a
# smaller profile is the one it always was (rng.sample depends on the population's size).
_MORE_NOUNS = [
    "pebble",
    "thistle",
    "anchor",
    "kestrel",
    "lagoon",
    "juniper",
    "piston",
    "saddle",
    "meteor",
    "tortoise",
    "canyon",
    "lynx",
    "marble",
    "nectar",
    "pylon",
    "sparrow",
    "tulip",
    "vortex",
    "yarrow",
    "zephyr",
    "bramble",
    "cobalt",
    "dune",
    "fennel",
    "gecko",
    "hazel",
    "iris",
    "jackal",
    "kelp",
    "lotus",
]


def needle(key: str, value: str) -> str:
    return f"The special magic number for {key} is {value}."


def question_for(key: str) -> str:
    return f"What is the special magic number for {key}?"


def generate_needles(
    rng: random.Random,
    *,
    single: int,
    multikey: int,
    group_size: int,
    target_tokens: int,
    count_tokens: TokenCounter,
) -> tuple[list[str], list[BenchQuestion]]:
    """The haystack (about ``target_tokens``) as consecutive pieces — filler runs and needle
    blocks, so it can be cut without splitting a multi-key group — and one question each."""
    needed = single + multikey
    pool = _NOUNS if needed <= len(_NOUNS) else _NOUNS + _MORE_NOUNS
    if needed > len(pool):
        raise ValueError(f"at most {len(pool)} needle questions per task pair")
    nouns = rng.sample(pool, needed)
    values: set[str] = set()

    def value() -> str:
        while True:
            v = str(rng.randrange(1_000_000, 10_000_000))
            if v not in values:
                values.add(v)
                return v

    # blocks: one needle (single) or group_size adjacent needles (multi-key)
    blocks: list[str] = []
    asked: list[tuple[str, str, str, list[str]]] = []  # (task, key, value, group values)
    for noun in nouns[:single]:
        key, v = f"{rng.choice(_ADJECTIVES)}-{noun}", value()
        blocks.append(needle(key, v))
        asked.append(("needle-single", key, v, []))
    for noun in nouns[single:]:
        keys = [f"{adjective}-{noun}" for adjective in rng.sample(_ADJECTIVES, group_size)]
        group = [(key, value()) for key in keys]
        blocks.append(" ".join(needle(k, v) for k, v in group))
        key, v = rng.choice(group)
        asked.append(("needle-multikey", key, v, [gv for _, gv in group if gv != v]))
    rng.shuffle(blocks)

    # filler units between blocks, needles at evenly spaced depths
    unit = count_tokens(FILLER) + 1
    needle_tokens = sum(count_tokens(b) + 1 for b in blocks)
    units = max(len(blocks) + 1, (target_tokens - needle_tokens) // unit)
    gaps = len(blocks) + 1
    parts: list[str] = []
    for index in range(gaps):
        share = units // gaps + (1 if index < units % gaps else 0)
        parts.append(" ".join([FILLER] * share))
        if index < len(blocks):
            parts.append(blocks[index])
    parts = [p for p in parts if p]

    single_values = [v for task, _k, v, _g in asked if task == "needle-single"]
    questions: list[BenchQuestion] = []
    counters = {"needle-single": 0, "needle-multikey": 0}
    for task, key, v, group in asked:
        counters[task] += 1
        if task == "needle-multikey":
            distractors = group[:3]
        else:
            others = [s for s in single_values if s != v]
            distractors = rng.sample(others, min(3, len(others)))
        while len(distractors) < 3:  # numbers that appear nowhere, when the corpus has too few
            distractors.append(value())
        questions.append(
            make_question(rng, f"{task}-{counters[task]}", task, question_for(key), v, distractors)  # type: ignore[arg-type]
        )
    return parts, questions
