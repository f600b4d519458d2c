"""Invented sentences no pretrained model can know: the corpus every perf measurement uses."""

from __future__ import annotations

import random

from lift_memory.models import LoadedModel

PEOPLE = ["Ilse", "Tomas", "Edda", "Orrin", "Maren", "Fenwick", "Quill", "Sabine", "Havel"]
PLACES = ["Varnholm", "Kelby", "Skarra", "Mossgate", "Tallow Fen", "Brindle Cove", "Ostrava Key"]
THINGS = ["lantern", "ledger", "ferry", "bell", "orchard", "loom", "compass", "kiln"]


def fictional_text(tokens: int, loaded: LoadedModel, seed: int = 0) -> str:
    """Invented sentences until the text holds about ``tokens`` tokens of the model's tokenizer."""
    rng = random.Random(seed)
    sentences: list[str] = []
    count = 0
    while count < tokens:
        sentence = (
            f"In {rng.randint(1700, 1999)} {rng.choice(PEOPLE)} of {rng.choice(PLACES)} "
            f"kept a {rng.choice(THINGS)} numbered {rng.randint(10, 9999)} near the "
            f"{rng.choice(THINGS)} of {rng.choice(PLACES)}."
        )
        sentences.append(sentence)
        count += len(loaded.tokenizer(" " + sentence, add_special_tokens=False)["input_ids"])
    return " ".join(sentences)
