"""General-capability retention: questions that have nothing to do with the corpus.

A method that internalizes a corpus should not forget what the base model knew. Two probes:
answers to these generic questions (scored against gold answers, and against the base model's
own closed-book answers as a reference), and the perplexity of unrelated texts of several genres
with and without the memory attached (``perplexity_damage.py``).

These questions are deliberately not among ``lift_memory.retention.GENERIC_PROMPTS``, which
ingest trains on: a probe that was trained on would measure nothing.
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
