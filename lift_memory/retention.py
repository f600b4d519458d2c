"""Retention samples: the base model's own answers to generic prompts, kept as targets.

Trained with the memory attached, they teach the gate to stay closed for queries that have
nothing to do with the corpus, so general behaviour survives the ingest. On a 135M model the
paper's gate alone lets the memory leak into unrelated answers.
"""

from __future__ import annotations

import torch

from lift_memory.models import LoadedModel
from lift_memory.prompts import TrainingSample, chat_sample, prompt_ids, question_prompt

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


@torch.no_grad()
def base_answers(
    loaded: LoadedModel, prompts: list[str], max_new_tokens: int = 40
) -> list[tuple[str, str]]:
    """Greedy answers of the model as it is now (call before attaching, or with it disabled)."""
    pairs = []
    for prompt in prompts:
        ids = prompt_ids(loaded.tokenizer, question_prompt(prompt))
        input_ids = torch.tensor([ids], device=loaded.device)
        output = loaded.model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=loaded.tokenizer.pad_token_id,
        )
        reply = loaded.tokenizer.decode(output[0, len(ids) :], skip_special_tokens=True).strip()
        if reply:
            pairs.append((prompt, reply))
    return pairs


def retention_samples(loaded: LoadedModel, pairs: list[tuple[str, str]]) -> list[TrainingSample]:
    return [
        chat_sample(loaded.tokenizer, question_prompt(prompt), reply, kind="retention")
        for prompt, reply in pairs
    ]
